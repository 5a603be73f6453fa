/**
 * Start-up without reading every secret (issue 14): the availability probe is one lookup, and the
 * app's orphan sweep (which lists every secret) runs after start instead of holding the keychain
 * while the first renewals and the window need it.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE } from '../../../electron/core/core'
import { APP_SWEEP_DELAY_MS, silentLogger } from '../../../electron/core/deps'
import { Secret } from '../../../electron/core/secrets/secret'
import { KeychainError } from '../../../electron/core/secrets/secret-store'
import { openDatabase } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { versionedSecretAccount } from '../../../electron/core/secrets/secret-store'
import { TO_DELETE } from '../../../electron/core/secret-vault'
import { MAINTENANCE_INTERVAL_MS, scheduleOrphanSweep, SWEEP_INTERVAL_MS } from '../../../electron/core/orphan-sweep'
import { databaseIdOf } from '../../support/stored-secrets'
import { FakeClock, flushPromises } from '../../support/fake-clock'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir('dsd-startup-')
})
afterEach(() => temp.cleanup())

/** Counts listings; `probe` is the cheap check a keychain store offers. */
class CountingStore extends MemorySecretStore {
  listings = 0
  probes = 0
  override async accounts(): Promise<ReadonlyArray<string>> {
    this.listings++
    return super.accounts()
  }
  async probe(): Promise<void> {
    this.probes++
    await this.get('probe')
  }
}

let orphan: string
beforeEach(() => {
  // An entry of this database (its id in the name) that no datasource points to.
  const db = openDatabase(join(temp.dir, DATABASE_FILE))
  orphan = versionedSecretAccount(new DatasourceRepository(db).databaseId(), '00000000-0000-4000-8000-000000000000', 'refresh-token', 'v1')
  db.close()
})

describe('createCore start-up', () => {
  it('answers getAppState with the probe, never a listing of every secret', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const core = await createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock, notify: () => {}, sweepDelayMs: APP_SWEEP_DELAY_MS })
    const state = await core.handlers.getAppState({})
    expect(state).toMatchObject({ ok: true, value: { keychainAvailable: true } })
    expect([store.probes, store.listings]).toEqual([1, 0])
    await core.close()
  })

  it('sweeps orphans only once the delay has passed, with the app delay of a minute', async () => {
    const store = new CountingStore()
    await store.set(orphan, new Secret('left by a crash'))
    const clock = new FakeClock()
    const core = await createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock, notify: () => {}, sweepDelayMs: APP_SWEEP_DELAY_MS })
    await flushPromises()
    expect(store.listings).toBe(0)
    expect(store.values.has(orphan)).toBe(true)
    await clock.advanceAsync(APP_SWEEP_DELAY_MS)
    await flushPromises()
    expect(store.listings).toBe(1)
    expect(store.values.has(orphan)).toBe(false)
    await core.close()
  })

  it('deletes at once, without a listing, what SQLite records as released by a process that stopped', async () => {
    const store = new CountingStore()
    const released = versionedSecretAccount(databaseIdOf(temp.dir), '00000000-0000-4000-8000-000000000001', 'access-token', 'old')
    await store.set(released, new Secret('an old version'))
    await store.set(orphan, new Secret('left by a crash'))
    const db = openDatabase(join(temp.dir, DATABASE_FILE))
    new DatasourceRepository(db).markSecretForDeletion(released, TO_DELETE, Date.now())
    db.close()
    const clock = new FakeClock()
    const core = await createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock, notify: () => {}, sweepDelayMs: APP_SWEEP_DELAY_MS })
    await flushPromises()
    expect(store.values.has(released)).toBe(false)
    expect(store.listings).toBe(0)
    // An orphan SQLite knows nothing of waits for the sweep's listing.
    expect(store.values.has(orphan)).toBe(true)
    await core.close()
  })

  it('lists the keychain again only a week after the last sweep, or at once after a process died with a write in progress', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const open = () => createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock, notify: () => {} })
    await (await open()).close()
    await flushPromises()
    expect(store.listings).toBe(1)

    // Swept an hour ago: no listing, even with an orphan SQLite knows nothing of.
    await store.set(orphan, new Secret('left by an older version'))
    clock.advance(60 * 60_000)
    await (await open()).close()
    await flushPromises()
    expect(store.listings).toBe(1)
    expect(store.values.has(orphan)).toBe(true)

    // A write whose process is gone (pid 2^22 + 1 does not exist: pid_max is at most 2^22).
    const staged = versionedSecretAccount(databaseIdOf(temp.dir), '00000000-0000-4000-8000-000000000002', 'access-token', 'staged')
    const db = openDatabase(join(temp.dir, DATABASE_FILE))
    new DatasourceRepository(db).addSecretWrite(staged, `${2 ** 22 + 1}:killed`, clock.now())
    db.close()
    await (await open()).close()
    await flushPromises()
    expect(store.listings).toBe(2)
    expect(store.values.has(orphan)).toBe(false)

    // A week after that sweep: the next start lists again.
    await store.set(orphan, new Secret('left by an older version'))
    clock.advance(SWEEP_INTERVAL_MS)
    await (await open()).close()
    await flushPromises()
    expect(store.listings).toBe(3)
    expect(store.values.has(orphan)).toBe(false)
  })

  it('sweeps at once without a delay, and never after close', async () => {
    const store = new CountingStore()
    await store.set(orphan, new Secret('left by a crash'))
    const core = await createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock: new FakeClock(), notify: () => {} })
    await flushPromises()
    expect(store.values.has(orphan)).toBe(false)
    await core.close()

    const later = new CountingStore()
    const clock = new FakeClock()
    const closed = await createCore({ dataDir: temp.dir, secretStore: later, fetch: globalThis.fetch, clock, notify: () => {}, sweepDelayMs: 1_000 })
    await closed.close()
    await clock.advanceAsync(5_000)
    expect(later.listings).toBe(0)
  })
})

/** Lists like a keychain that a command's delete interrupts once (findCredentials fails). */
class FailingOnceStore extends CountingStore {
  failNext = true
  override async accounts(): Promise<ReadonlyArray<string>> {
    if (!this.failNext) return super.accounts()
    this.failNext = false
    this.listings++
    throw new KeychainError('the listing met an item deleted meanwhile', 'failed')
  }
}

describe('a running app keeps the keychain clean without a restart', () => {
  const openApp = (store: CountingStore, clock: FakeClock, logger = silentLogger) =>
    createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock, notify: () => {}, logger })
  /** An app whose start-up sweep (never swept before: at once) is done. */
  const startedApp = async (store: CountingStore, clock: FakeClock) => {
    const core = await openApp(store, clock)
    await flushPromises()
    expect(store.listings).toBe(1)
    return core
  }
  /** What a command writes to SQLite while the app runs, through a connection of its own. */
  const asCommand = (write: (repo: DatasourceRepository) => void) => {
    const db = openDatabase(join(temp.dir, DATABASE_FILE))
    write(new DatasourceRepository(db))
    db.close()
  }

  it('sweeps again once a week has passed since the last sweep, checked every hour', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const core = await startedApp(store, clock)

    await store.set(orphan, new Secret('left by a command killed at a bad moment'))
    // The wall clock moves as over days of sleep and use; the hourly check fires after it.
    clock.jump(SWEEP_INTERVAL_MS - 2 * MAINTENANCE_INTERVAL_MS)
    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    expect(store.listings).toBe(1)
    clock.jump(MAINTENANCE_INTERVAL_MS)
    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    await flushPromises()
    expect(store.listings).toBe(2)
    expect(store.values.has(orphan)).toBe(false)
    await core.close()
  })

  it('tries a failed sweep again within the hour, and logs only the error name', async () => {
    const store = new FailingOnceStore()
    await store.set(orphan, new Secret('left by a crash'))
    const clock = new FakeClock()
    const warnings: string[] = []
    const core = await openApp(store, clock, { ...silentLogger, warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) })
    await flushPromises()
    expect(store.listings).toBe(1)
    expect(store.values.has(orphan)).toBe(true)
    expect(warnings).toEqual(['orphan sweep failed; it is tried again within the hour {"error":"KeychainError"}'])

    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    await flushPromises()
    expect(store.listings).toBe(2)
    expect(store.values.has(orphan)).toBe(false)
    await core.close()
  })

  it('after a command was killed with a write in progress, sweeps at the next hourly check', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const core = await startedApp(store, clock)

    // The killed command's item reached the keychain; its row says a write was in progress.
    const staged = versionedSecretAccount(databaseIdOf(temp.dir), '00000000-0000-4000-8000-000000000003', 'access-token', 'staged')
    await store.set(staged, new Secret('written by a killed add'))
    asCommand((repo) => repo.addSecretWrite(staged, `${2 ** 22 + 1}:killed`, clock.now()))
    await store.set(orphan, new Secret('left by an older version'))

    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    await flushPromises()
    expect(store.listings).toBe(2)
    expect([store.values.has(staged), store.values.has(orphan)]).toEqual([false, false])
    await core.close()
  })

  it('deletes within the hour, without a listing, what a command marked as released while the app runs', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const core = await startedApp(store, clock)

    const released = versionedSecretAccount(databaseIdOf(temp.dir), '00000000-0000-4000-8000-000000000004', 'access-token', 'old')
    await store.set(released, new Secret('an old version a command left marked'))
    asCommand((repo) => repo.markSecretForDeletion(released, TO_DELETE, clock.now()))

    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    await flushPromises()
    expect(store.values.has(released)).toBe(false)
    expect(store.listings).toBe(1)
    await core.close()
  })

  it('leaves no timer behind once closed', async () => {
    const store = new CountingStore()
    const clock = new FakeClock()
    const core = await startedApp(store, clock)
    expect(clock.pending).toBeGreaterThan(0)
    await core.close()
    expect(clock.pending).toBe(0)
    clock.jump(SWEEP_INTERVAL_MS)
    await clock.advanceAsync(2 * MAINTENANCE_INTERVAL_MS)
    expect(store.listings).toBe(1)
  })
})

describe('the hourly check itself', () => {
  it('survives a database it cannot read for a moment, and checks again an hour later', async () => {
    const clock = new FakeClock()
    const warnings: string[] = []
    let sweeps = 0
    let unreadable = false
    // A week is up an hour and a half after start.
    const lastSweep = clock.now() - SWEEP_INTERVAL_MS + 90 * 60_000
    const scheduled = scheduleOrphanSweep({
      drain: async () => {},
      sweep: async () => {
        sweeps++
        return 0
      },
      lastSweepAt: () => {
        if (unreadable) throw Object.assign(new Error('database is locked'), { name: 'SqliteError' })
        return lastSweep
      },
      hasAbandonedWrites: () => false,
      clock,
      delayMs: undefined,
      logger: { ...silentLogger, warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) },
    })
    unreadable = true
    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    expect(warnings).toEqual(['keychain clean-up check failed; it is tried again within the hour {"error":"SqliteError"}'])
    expect(sweeps).toBe(0)

    // Readable again, and the week has run out meanwhile.
    unreadable = false
    await clock.advanceAsync(MAINTENANCE_INTERVAL_MS)
    expect(sweeps).toBe(1)
    scheduled.stop()
    expect(clock.pending).toBe(0)
  })
})
