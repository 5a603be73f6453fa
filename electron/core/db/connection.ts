import { closeSync, openSync, readSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { ensurePrivateDir, ensurePrivateFile, tightenFile } from '../private-files'
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
 * Thrown when the database cannot be opened because its disk has no space left. SQLite itself
 * says so as SQLITE_FULL, or as SQLITE_IOERR_SHMSIZE when it cannot give the -shm file (which
 * every connection in WAL mode needs, readers too) its first page: a full disk then stops every
 * command, `list` included, with nothing changed.
 */
export class DatabaseFullError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`The database ${file} cannot be opened: there is no space left on its disk (${code}).`)
    this.name = 'DatabaseFullError'
  }
}

const OUT_OF_SPACE = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC', 'EDQUOT'])

/** Whether an error from SQLite or the file system means the disk (or the user's quota) is full. */
export function isOutOfSpace(error: unknown): boolean {
  return OUT_OF_SPACE.has((error as { code?: unknown } | null)?.code as string)
}

/**
 * Opens (creating if needed) the app's SQLite database: WAL so readers never block the renewal
 * writer, foreign keys so deleting a datasource takes its token row and history with it, and a
 * busy timeout because the CLI may use the same file at the same moment.
 */
export interface OpenDatabaseOptions {
  /**
   * Run SQLite's quick_check over the whole file before use (default true). It reads every page
   * (0.35 s at 170 MB), so the app runs it once at start-up and the CLI, whose start-up must not
   * grow with the database, skips it: damage it would have found surfaces as an SQLITE_CORRUPT
   * error of the statement that meets it.
   */
  readonly integrityCheck?: boolean
}

export function openDatabase(file: string, migrations: ReadonlyArray<Migration> = schemaMigrations, options: OpenDatabaseOptions = {}): Db {
  ensurePrivateDir(dirname(file))
  assertDatabaseHeader(file)
  // SQLite gives -wal and -shm the database file's mode, so a private database keeps them private.
  ensurePrivateFile(file)
  let db: Db | undefined
  try {
    db = new Database(file, { timeout: 5_000 })
    db.pragma('journal_mode = WAL')
    // Left by an older version under umask 022.
    for (const suffix of ['-wal', '-shm']) tightenFile(`${file}${suffix}`)
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    if (options.integrityCheck !== false) {
      const check = db.pragma('quick_check', { simple: true })
      if (check !== 'ok') throw new DatabaseCorruptError(file, String(check))
    }
  } catch (error) {
    db?.close()
    if (error instanceof DatabaseCorruptError) throw error
    const code = (error as { code?: string }).code ?? ''
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DatabaseCorruptError(file, code)
    if (isOutOfSpace(error)) throw new DatabaseFullError(file, code)
    throw error
  }
  try {
    applyMigrations(db, migrations)
  } catch (error) {
    db.close()
    if (isOutOfSpace(error)) throw new DatabaseFullError(file, (error as { code: string }).code)
    throw error
  }
  return db
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

/**
 * Refuses a file that is not an SQLite database before SQLite opens it: opening such a file and
 * closing it again makes SQLite delete the -wal and -shm next to it, which may hold the last
 * committed changes that whoever recovers the damaged file needs. A missing or empty file is fine
 * (SQLite creates the database).
 */
function assertDatabaseHeader(file: string): void {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length)
    const read = readSync(fd, head, 0, head.length, 0)
    if (read > 0 && !head.subarray(0, read).equals(SQLITE_HEADER.subarray(0, read))) throw new DatabaseCorruptError(file, 'not an SQLite database')
    if (read > 0 && read < head.length) throw new DatabaseCorruptError(file, 'truncated header')
  } finally {
    closeSync(fd)
  }
}
