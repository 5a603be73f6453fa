import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { applyMigrations, type Migration } from './migrations'
import { schemaMigrations } from './schema'

export type Db = Database.Database

/** Thrown when the database file exists but SQLite cannot read it as a database. */
export class DatabaseCorruptError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`The database ${file} is damaged (${detail}).`)
    this.name = 'DatabaseCorruptError'
  }
}

/**
 * Opens (creating if needed) the app's SQLite database: WAL so readers never block the renewal
 * writer, foreign keys so deleting a datasource takes its token row and history with it, and a
 * busy timeout because the CLI may use the same file at the same moment.
 */
export function openDatabase(file: string, migrations: ReadonlyArray<Migration> = schemaMigrations): Db {
  mkdirSync(dirname(file), { recursive: true })
  let db: Db | undefined
  try {
    db = new Database(file, { timeout: 5_000 })
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new DatabaseCorruptError(file, String(check))
  } catch (error) {
    db?.close()
    if (error instanceof DatabaseCorruptError) throw error
    const code = (error as { code?: string }).code ?? ''
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DatabaseCorruptError(file, code)
    throw error
  }
  try {
    applyMigrations(db, migrations)
  } catch (error) {
    db.close()
    throw error
  }
  return db
}
