import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'

export interface Migration {
  /** 1, 2, 3, ... in order; becomes PRAGMA user_version once applied. */
  readonly version: number
  readonly name: string
  readonly sql: string
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MigrationError'
  }
}

const checksum = (migration: Migration): string => createHash('sha256').update(migration.sql).digest('hex')

/**
 * Brings the database up to the newest migration. Each migration runs in its own transaction
 * together with its bookkeeping, so a failing one leaves the database at the previous version,
 * untouched. Applied migrations are append-only: an edited one is refused (its checksum is kept).
 */
export function applyMigrations(db: Database.Database, migrations: ReadonlyArray<Migration>): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new MigrationError(`Migration ${migration.name} must have version ${index + 1}`)
  })
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`)

  const current = db.pragma('user_version', { simple: true }) as number
  if (current > migrations.length) {
    throw new MigrationError(
      `The database was written by a newer version of Datasource Desk (schema ${current}, this version knows ${migrations.length}). Update the app.`,
    )
  }
  const applied = db.prepare('SELECT version, checksum FROM schema_migrations').all() as Array<{ version: number; checksum: string }>
  for (const row of applied) {
    const migration = migrations[row.version - 1]
    if (migration && checksum(migration) !== row.checksum) {
      throw new MigrationError(`Migration ${row.version} (${migration.name}) was changed after it was applied; add a new migration instead.`)
    }
  }

  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)')
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(migration.sql)
      record.run(migration.version, migration.name, checksum(migration), Date.now())
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}
