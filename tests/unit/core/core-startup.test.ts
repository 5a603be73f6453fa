/**
 * Start-up without reading every secret (issue 14): the availability probe is one lookup, and the
 * app's orphan sweep (which lists every secret) runs after start instead of holding the keychain
 * while the first renewals and the window need it.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE } from '../../../electron/core/core'
import { APP_SWEEP_DELAY_MS } from '../../../electron/core/deps'
import { Secret } from '../../../electron/core/secrets/secret'
import { openDatabase } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { versionedSecretAccount } from '../../../electron/core/secrets/secret-store'
import { TO_DELETE } from '../../../electron/core/secret-vault'
import { SWEEP_INTERVAL_MS } from '../../../electron/core/orphan-sweep'
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
