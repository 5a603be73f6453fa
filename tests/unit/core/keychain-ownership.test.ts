/**
 * Issue 11 item 1: keychain entries belong to one database. Two data folders share one keychain
 * service (here one in-memory store standing for it); each database names its entries with its
 * own id, and a sweep removes only its own unreferenced entries: never another folder's, never an
 * entry named before accounts were versioned, never one another process is about to commit.
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { openDatabase } from '../../../electron/core/db/connection'
import { schemaMigrations } from '../../../electron/core/db/schema'
import { systemClock } from '../../../electron/core/deps'
import { legacySecretAccount, parseSecretAccount, versionedSecretAccount } from '../../../electron/core/secrets/secret-store'
import type { DatasourceInput } from '../../../shared/datasource'
import { unwrap } from '../../support/core-harness'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A fetch that must not be called: these tests store secrets without any token request. */
const noFetch = () => Promise.reject(new Error('no network in unit tests'))

async function openCore(store: MemorySecretStore, dataDir?: string): Promise<{ core: Core; dataDir: string }> {
  const dir = dataDir ?? makeTempDir('dsd-own-').dir
  const core = await createCore({ dataDir: dir, secretStore: store, fetch: noFetch, clock: systemClock, notify: () => {} })
  cleanups.push(() => core.close())
  return { core, dataDir: dir }
}

/** A datasource saved without Test connection: its client secret and password go to the keychain. */
function form(name: string): DatasourceInput {
  return {
    name,
    url: 'https://api.example.com',
    auth: {
      type: 'oauth2-password',
      tokenUrl: 'https://login.example.com/token',
      clientId: 'desk',
      clientSecret: { action: 'set', value: `${name}-client-secret` },
      clientAuth: 'basic',
      username: 'ana',
      password: { action: 'set', value: `${name}-password` },
      rememberPassword: true,
      scope: 'read',
      extraParams: [],
    },
  }
}

describe('keychain entries belong to one database', () => {
  it("a second data folder's start and sweep leave the first folder's secrets alone", async () => {
    const sharedService = new MemorySecretStore()
    const first = await openCore(sharedService)
    const saved = unwrap(await first.core.handlers.saveDatasource({ input: form('First') }))
    const firstEntries = [...sharedService.values.keys()]
    expect(firstEntries).toHaveLength(2)

    const second = await openCore(sharedService)
    expect(await second.core.service.sweepOrphanSecrets()).toBe(0)
    expect([...sharedService.values.keys()]).toEqual(firstEntries)
    expect((await first.core.service.readSecret(saved.id, 'client-secret'))?.reveal()).toBe('First-client-secret')

    // Each database still sweeps its own orphans.
    const orphan = versionedSecretAccount(parseSecretAccount(firstEntries[0]!)!.databaseId!, saved.id, 'access-token', 'left-by-a-crash')
    sharedService.values.set(orphan, 'stale')
    expect(await second.core.service.sweepOrphanSecrets()).toBe(0)
    expect(await first.core.service.sweepOrphanSecrets()).toBe(1)
    expect(sharedService.values.has(orphan)).toBe(false)
  })

  it('a changed secret goes to a new account; the old one is deleted only after SQLite points to the new', async () => {
    const store = new MemorySecretStore()
    const { core } = await openCore(store)
    const saved = unwrap(await core.handlers.saveDatasource({ input: form('CRM') }))
    const before = core.service.secretAccount(saved.id, 'password')
    const input = form('CRM')
    unwrap(await core.handlers.saveDatasource({ input: { ...input, id: saved.id, auth: { ...input.auth, password: { action: 'set', value: 'new-password' } } as typeof input.auth } }))
    const after = core.service.secretAccount(saved.id, 'password')
    expect(after).not.toBe(before)
    expect(store.values.has(before!)).toBe(false)
    expect(store.values.get(after!)).toBe('new-password')
  })

  it('does not sweep an entry another process has written but not yet committed', async () => {
    const store = new MemorySecretStore()
    const { core, dataDir } = await openCore(store)
    const db = new Database(join(dataDir, DATABASE_FILE))
    const databaseId = db.prepare('SELECT id FROM database_identity').pluck().get() as string
    const inFlight = versionedSecretAccount(databaseId, '3f2b7c1e-0000-4000-8000-000000000001', 'client-secret', 'in-flight')
    store.values.set(inFlight, 'being saved')
    // The other process (this test's parent pid: alive) recorded its write before making it.
    db.prepare('INSERT INTO secret_writes (account, holder, started_at) VALUES (?, ?, ?)').run(inFlight, `${process.ppid}:other`, Date.now())
    db.close()
    expect(await core.service.sweepOrphanSecrets()).toBe(0)
    expect(store.values.has(inFlight)).toBe(true)
  })

  it('adopts the entries of a database from before versioned accounts, and never sweeps legacy names', async () => {
    const store = new MemorySecretStore()
    const dir = makeTempDir('dsd-legacy-').dir
    const id = '3f2b7c1e-0000-4000-8000-0000000000aa'
    const old = openDatabase(join(dir, DATABASE_FILE), schemaMigrations.slice(0, 1))
    old.prepare(`INSERT INTO datasources (id, name, url, auth_type, token_url, client_id, client_auth, username, has_client_secret, has_password, created_at, updated_at)
      VALUES (?, 'Old', 'https://api.example.com', 'oauth2-password', 'https://login.example.com/token', 'desk', 'basic', 'ana', 1, 1, 1, 1)`).run(id)
    old.close()
    store.values.set(legacySecretAccount(id, 'client-secret'), 'old-client-secret')
    store.values.set(legacySecretAccount(id, 'password'), 'old-password')
    // An entry of another folder from before versioning: its database is unknown, so it is kept.
    store.values.set(legacySecretAccount('3f2b7c1e-0000-4000-8000-0000000000bb', 'password'), 'theirs')

    const { core } = await openCore(store, dir)
    expect((await core.service.readSecret(id, 'client-secret'))?.reveal()).toBe('old-client-secret')
    expect((await core.service.readSecret(id, 'password'))?.reveal()).toBe('old-password')
    expect(await core.service.sweepOrphanSecrets()).toBe(0)
    expect(store.values.size).toBe(3)
  })
})
