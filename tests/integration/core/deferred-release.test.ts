/**
 * A renewal's keychain work on its own path is the new version's write; the old versions are
 * marked for deletion in secret_writes in the transaction that stops pointing to them and deleted
 * after, in the background (issue 14). Real keyring (run inside with-keyring.sh), real OAuth server.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { TO_DELETE } from '../../../electron/core/secret-vault'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { versionedSecretAccount, type SecretStore } from '../../../electron/core/secrets/secret-store'
import { passwordForm, unwrap } from '../../support/core-harness'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { databaseIdOf, storedAccount, storedSecret } from '../../support/stored-secrets'
import { makeTempDir } from '../../support/temp-dir'

/** The real keyring, with every delete held until `releaseDeletes()`, and every write and delete logged. */
class HeldDeletesStore implements SecretStore {
  readonly writes: string[] = []
  readonly deletes: string[] = []
  #held = true
  #waiting: Array<() => void> = []

  constructor(readonly inner: SecretStore) {}

  /** Deletes waiting for `releaseDeletes()`. */
  get waitingDeletes(): number {
    return this.#waiting.length
  }

  releaseDeletes(): void {
    this.#held = false
    for (const resume of this.#waiting.splice(0)) resume()
  }

  get(account: string): Promise<Secret | null> {
    return this.inner.get(account)
  }

  set(account: string, value: Secret): Promise<void> {
    this.writes.push(account)
    return this.inner.set(account, value)
  }

  async delete(account: string): Promise<boolean> {
    if (this.#held) await new Promise<void>((resume) => this.#waiting.push(resume))
    this.deletes.push(account)
    return this.inner.delete(account)
  }

  accounts(): Promise<ReadonlyArray<string>> {
    return this.inner.accounts()
  }
}

let rotating: OAuthTestServer
let steady: OAuthTestServer
let temp: ReturnType<typeof makeTempDir>
let keyring: SecretStore
let store: HeldDeletesStore
let core: Core

beforeAll(async () => {
  rotating = await startOAuthServer({ rotateRefreshTokens: true })
  steady = await startOAuthServer({ rotateRefreshTokens: false, echoRefreshToken: true })
})
afterAll(async () => {
  await rotating.close()
  await steady.close()
})
beforeEach(async () => {
  temp = makeTempDir('dsd-deferred-release-')
  keyring = createKeytarSecretStore(`datasource-desk-test-deferred-${randomUUID()}`)
  store = new HeldDeletesStore(keyring)
  core = await open(store)
})
afterEach(async () => {
  store.releaseDeletes()
  await core.close()
  for (const account of await keyring.accounts().catch(() => [])) await keyring.delete(account).catch(() => false)
  temp.cleanup()
})

function open(secrets: SecretStore): Promise<Core> {
  return createCore({ dataDir: temp.dir, secretStore: secrets, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
}

/** Accounts marked for deletion (released by a commit, not deleted yet). */
function released(): string[] {
  const db = new Database(join(temp.dir, DATABASE_FILE), { readonly: true })
  try {
    return db.prepare('SELECT account FROM secret_writes WHERE holder = ?').pluck().all(TO_DELETE) as string[]
  } finally {
    db.close()
  }
}

async function saveWithToken(server: OAuthTestServer) {
  const input = passwordForm(server)
  const testId = randomUUID()
  unwrap(await core.handlers.testConnection({ testId, input }))
  return unwrap(await core.handlers.saveDatasource({ input, testId }))
}

describe('old versions after a renewal', () => {
  it('are recorded and left for the background: the renewal finishes while their deletes are held', async () => {
    const saved = await saveWithToken(rotating)
    const oldAccess = storedAccount(temp.dir, saved.id, 'access-token')
    const oldRefresh = storedAccount(temp.dir, saved.id, 'refresh-token')

    // Every delete is held: a renewal that waited for its old versions would never finish.
    const renewed = await core.service.renewNow(saved.id)
    expect(renewed).toMatchObject({ ok: true, value: { state: 'idle', lastError: null } })
    expect(storedAccount(temp.dir, saved.id, 'access-token')).not.toBe(oldAccess)
    expect(released().sort()).toEqual([oldAccess, oldRefresh].sort())
    expect(await keyring.get(oldAccess!)).not.toBeNull()

    store.releaseDeletes()
    await expect.poll(released).toEqual([])
    expect(await keyring.get(oldAccess!)).toBeNull()
    expect(await keyring.get(oldRefresh!)).toBeNull()
    expect(await storedSecret(temp.dir, keyring, saved.id, 'access-token')).not.toBeNull()
  })

  it('left by a process that stopped before deleting them are deleted by the next core', async () => {
    const saved = await saveWithToken(rotating)
    const oldAccess = storedAccount(temp.dir, saved.id, 'access-token')
    unwrap(await core.service.renewNow(saved.id))
    expect(released()).toContain(oldAccess)
    // Stops with its deletes still held, as a killed process or a command that exits at once.
    await core.close()

    core = await open(keyring)
    await expect.poll(released).toEqual([])
    expect(await keyring.get(oldAccess!)).toBeNull()
    expect(await storedSecret(temp.dir, keyring, saved.id, 'refresh-token')).not.toBeNull()
  })

  it('are deleted between the deletes of a sweep of many orphans, not after all of them', async () => {
    const saved = await saveWithToken(rotating)
    const oldAccess = storedAccount(temp.dir, saved.id, 'access-token')!
    const databaseId = databaseIdOf(temp.dir)
    const orphans = Array.from({ length: 12 }, (_, index) => versionedSecretAccount(databaseId, randomUUID(), 'refresh-token', `orphan${index}`))
    for (const orphan of orphans) await keyring.set(orphan, new Secret('left by a crash'))

    // The sweep lists, then waits at its first delete; the renewal's release queues meanwhile.
    const swept = core.service.sweepOrphanSecrets()
    await expect.poll(() => store.waitingDeletes).toBe(1)
    unwrap(await core.service.renewNow(saved.id))
    expect(released()).toContain(oldAccess)
    store.releaseDeletes()
    expect(await swept).toBe(orphans.length)
    await expect.poll(released).toEqual([])

    const firstOrphanDeleted = store.deletes.findIndex((account) => orphans.includes(account))
    const lastOrphanDeleted = store.deletes.findLastIndex((account) => orphans.includes(account))
    // Before the second orphan: the sweep's deletes each wait their turn behind what was released.
    expect(store.deletes.indexOf(oldAccess)).toBe(firstOrphanDeleted + 1)
    expect(store.deletes.indexOf(oldAccess)).toBeLessThan(lastOrphanDeleted)
    for (const orphan of orphans) expect(await keyring.get(orphan)).toBeNull()
  })
})

describe('what a renewal writes', () => {
  it('writes only the access token when the server sends the same refresh token back', async () => {
    const saved = await saveWithToken(steady)
    const refreshAccount = storedAccount(temp.dir, saved.id, 'refresh-token')
    store.writes.length = 0

    unwrap(await core.service.renewNow(saved.id))
    expect(steady.counts.refreshGrants).toBeGreaterThanOrEqual(1)
    expect(store.writes).toHaveLength(1)
    expect(store.writes[0]).toBe(storedAccount(temp.dir, saved.id, 'access-token'))
    expect(storedAccount(temp.dir, saved.id, 'refresh-token')).toBe(refreshAccount)
    expect(released()).toHaveLength(1)
  })

  it('writes the new access and refresh tokens when the server rotates the refresh token', async () => {
    const saved = await saveWithToken(rotating)
    store.writes.length = 0
    unwrap(await core.service.renewNow(saved.id))
    expect(store.writes.sort()).toEqual([storedAccount(temp.dir, saved.id, 'access-token'), storedAccount(temp.dir, saved.id, 'refresh-token')].sort())
  })

  it('hands the new access token to the command that asked, equal to what the keychain holds', async () => {
    const saved = await saveWithToken(rotating)
    const renewed = unwrap(await core.service.renewForToken(saved.id))
    expect(renewed?.reveal()).toBe(await storedSecret(temp.dir, keyring, saved.id, 'access-token'))
  })
})
