/**
 * moveCorruptDatabaseAside with real files: a damaged database is detected at start, moved aside
 * byte for byte (never deleted, never overwritten), and the core then starts fresh.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE } from '../../../electron/core/core'
import { moveCorruptDatabaseAside } from '../../../electron/core/corrupt-database'
import { DatabaseCorruptError } from '../../../electron/core/db/connection'
import { systemClock } from '../../../electron/core/deps'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir('dsd-corrupt-')
})
afterEach(() => temp.cleanup())

const open = () => createCore({ dataDir: temp.dir, secretStore: new MemorySecretStore(), fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
const at = new Date(Date.UTC(2026, 10, 26, 12, 30, 15, 123))

/** A database with a few datasources, cut in half the way a failing disk or a bad copy would. */
async function truncatedDatabase(): Promise<void> {
  const core = await open()
  for (let i = 0; i < 300; i++) await core.handlers.saveDatasource({ input: { name: `Datasource ${i}`, url: `https://api.example/${i}`, auth: { type: 'none' } } })
  await core.close()
  const file = join(temp.dir, DATABASE_FILE)
  const bytes = readFileSync(file)
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
}

describe('a damaged database', () => {
  it('stops createCore with DatabaseCorruptError and leaves the file as it was', async () => {
    writeFileSync(join(temp.dir, DATABASE_FILE), 'not a database '.repeat(500))
    const before = readFileSync(join(temp.dir, DATABASE_FILE))
    await expect(open()).rejects.toBeInstanceOf(DatabaseCorruptError)
    expect(readFileSync(join(temp.dir, DATABASE_FILE))).toEqual(before)
  })

  it('a truncated file is detected too', async () => {
    await truncatedDatabase()
    await expect(open()).rejects.toBeInstanceOf(DatabaseCorruptError)
  })

  it('is moved aside with its -wal and -shm, byte for byte, and the core starts fresh', async () => {
    const file = join(temp.dir, DATABASE_FILE)
    writeFileSync(file, 'damaged main file '.repeat(300))
    writeFileSync(`${file}-wal`, 'damaged wal')
    writeFileSync(`${file}-shm`, 'damaged shm')
    await expect(open()).rejects.toBeInstanceOf(DatabaseCorruptError)
    // Detection touched nothing: the -wal may hold the last committed changes.
    expect(readFileSync(`${file}-wal`, 'utf8')).toBe('damaged wal')

    const moved = moveCorruptDatabaseAside(temp.dir, at)
    const base = join(temp.dir, 'datasource-desk.corrupt-2026-11-26T12-30-15-123Z.sqlite')
    expect(moved.sort()).toEqual([base, `${base}-shm`, `${base}-wal`])
    expect(readFileSync(base, 'utf8')).toBe('damaged main file '.repeat(300))
    expect(readFileSync(`${base}-wal`, 'utf8')).toBe('damaged wal')
    expect(readFileSync(`${base}-shm`, 'utf8')).toBe('damaged shm')
    expect(existsSync(file)).toBe(false)

    const core = await open()
    expect(await core.handlers.listDatasources({})).toEqual({ ok: true, value: [] })
    await core.close()
    // The damaged copy is still there next to the new database.
    expect(readFileSync(base, 'utf8')).toBe('damaged main file '.repeat(300))
  })

  it('never overwrites an earlier copy moved aside in the same millisecond', async () => {
    const file = join(temp.dir, DATABASE_FILE)
    writeFileSync(file, 'first')
    const [first] = moveCorruptDatabaseAside(temp.dir, at)
    writeFileSync(file, 'second')
    const [second] = moveCorruptDatabaseAside(temp.dir, at)
    expect(second).not.toBe(first)
    expect(readFileSync(first ?? '', 'utf8')).toBe('first')
    expect(readFileSync(second ?? '', 'utf8')).toBe('second')
    expect(readdirSync(temp.dir).sort()).toEqual(['datasource-desk.corrupt-2026-11-26T12-30-15-123Z-2.sqlite', 'datasource-desk.corrupt-2026-11-26T12-30-15-123Z.sqlite'])
  })

  it('moves nothing when there is nothing to move', () => {
    expect(moveCorruptDatabaseAside(temp.dir, at)).toEqual([])
  })
})
