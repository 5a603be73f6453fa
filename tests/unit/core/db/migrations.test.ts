import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DatabaseCorruptError, openDatabase } from '../../../../electron/core/db/connection'
import { MigrationError, type Migration } from '../../../../electron/core/db/migrations'
import { schemaMigrations } from '../../../../electron/core/db/schema'
import { makeTempDir } from '../../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir>
let file: string
beforeEach(() => {
  temp = makeTempDir()
  file = join(temp.dir, 'test.sqlite')
})
afterEach(() => temp.cleanup())

const first: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (id INTEGER PRIMARY KEY);' }
const second: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE two (id INTEGER PRIMARY KEY);' }

describe('openDatabase', () => {
  it('applies the schema, turns on WAL and foreign keys, and records user_version', () => {
    const db = openDatabase(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('user_version', { simple: true })).toBe(schemaMigrations.length)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()
    expect(tables).toEqual(expect.arrayContaining(['datasources', 'tokens', 'renewal_state', 'history', 'renewal_leases']))
    db.close()
  })

  it('is idempotent: opening twice applies nothing again', () => {
    openDatabase(file).close()
    const db = openDatabase(file)
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(schemaMigrations.length)
    db.close()
  })

  it('leaves the database at its previous version, untouched, when a migration fails', () => {
    openDatabase(file, [first]).close()
    const broken: Migration = { version: 2, name: 'broken', sql: 'CREATE TABLE two (id INTEGER); INSERT INTO nowhere VALUES (1);' }
    expect(() => openDatabase(file, [first, broken])).toThrow(/nowhere/)
    const db = new Database(file)
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'two'").pluck().get()).toBe(0)
    db.close()
  })

  it('refuses a migration that was edited after it was applied', () => {
    openDatabase(file, [first, second]).close()
    const edited = { ...second, sql: 'CREATE TABLE two (id INTEGER PRIMARY KEY, extra TEXT);' }
    expect(() => openDatabase(file, [first, edited])).toThrow(MigrationError)
  })

  it('refuses a database written by a newer version of the app', () => {
    openDatabase(file, [first, second]).close()
    expect(() => openDatabase(file, [first])).toThrow(/newer version/)
  })

  it('refuses migrations that are not numbered 1, 2, 3 in order', () => {
    expect(() => openDatabase(file, [second])).toThrow(MigrationError)
  })

  it('reports a file that is not a database as corrupt and leaves it in place', () => {
    writeFileSync(file, 'this is not a database, just some text that is long enough to look like a header.'.repeat(100))
    const before = readFileSync(file)
    expect(() => openDatabase(file)).toThrow(DatabaseCorruptError)
    expect(readFileSync(file)).toEqual(before)
  })

  it('reports a truncated database as corrupt', () => {
    const db = openDatabase(file)
    db.pragma('journal_mode = DELETE')
    for (let i = 0; i < 200; i++) db.prepare('INSERT INTO datasources (id, name, url, auth_type, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)').run(`id-${i}`, `name-${i}`, 'https://example.test', 'none')
    db.close()
    const bytes = readFileSync(file)
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
    expect(() => openDatabase(file)).toThrow(DatabaseCorruptError)
  })
})
