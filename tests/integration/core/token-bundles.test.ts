/**
 * Token bundles (issue 14): the tokens of renewals that finish together go to one keychain item,
 * which each datasource's pointer in SQLite names with its entry. Real keyring (run inside
 * with-keyring.sh), real SQLite files, real OAuth server on 127.0.0.1. The renewer and vault are
 * built from their parts on the core's own database, so that several token writes arrive in the
 * same turn and are coalesced deterministically.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, beforeAll, afterAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { openDatabase, type Db } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { silentLogger, systemClock } from '../../../electron/core/deps'
import { HistoryLog } from '../../../electron/core/history-log'
import { requestPasswordToken, type IssuedToken } from '../../../electron/core/oauth/token-client'
import { newHolderId } from '../../../electron/core/process-holder'
import { oauthConfig, Renewer } from '../../../electron/core/renewer'
import { SecretVault } from '../../../electron/core/secret-vault'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { isTokenBundleAccount, type SecretStore } from '../../../electron/core/secrets/secret-store'
import { MAX_BUNDLE_BYTES, MAX_BUNDLE_DATASOURCES, readBundleEntry } from '../../../electron/core/token-bundle'
import { ensureCliBuilt, runCli } from '../../support/cli-runner'
import { passwordForm, unwrap } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { storedPointer, storedSecret } from '../../support/stored-secrets'
import { makeTempDir } from '../../support/temp-dir'
import type { DatasourceId } from '../../../shared/ids'

/** The real keyring, with every write logged and a hook that runs after a bundle's write. */
class WatchedStore implements SecretStore {
  readonly writes: string[] = []
  reads = 0
  afterBundleWrite: ((account: string) => Promise<void> | void) | null = null

  constructor(readonly inner: SecretStore) {}

  get(account: string): Promise<Secret | null> {
    this.reads++
    return this.inner.get(account)
  }

  async set(account: string, value: Secret): Promise<void> {
    this.writes.push(account)
    await this.inner.set(account, value)
    if (isTokenBundleAccount(account)) await this.afterBundleWrite?.(account)
  }

  delete(account: string): Promise<boolean> {
    return this.inner.delete(account)
  }

  accounts(): Promise<ReadonlyArray<string>> {
    return this.inner.accounts()
  }
}

interface Parts {
  readonly db: Db
  readonly repo: DatasourceRepository
  readonly vault: SecretVault
  readonly renewer: Renewer
  readonly discarded: string[]
}

let server: OAuthTestServer
let keychainService: string
let temp: ReturnType<typeof makeTempDir>
let keyring: SecretStore
let store: WatchedStore
let ids: DatasourceId[]
const opened: Parts[] = []

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
}, 120_000)
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  temp = makeTempDir('dsd-token-bundles-')
  keychainService = `datasource-desk-test-bundles-${randomUUID()}`
  keyring = createKeytarSecretStore(keychainService)
  store = new WatchedStore(keyring)
  // Four datasources saved through the app, each with its token in accounts of its own.
  const core = await openCore()
  ids = []
  for (const name of ['Alpha', 'Beta', 'Gamma', 'Delta']) {
    const input = passwordForm(server, {}, name)
    const testId = randomUUID()
    unwrap(await core.handlers.testConnection({ testId, input }))
    ids.push(unwrap(await core.handlers.saveDatasource({ input, testId })).id)
  }
  await core.close()
  store.writes.length = 0
})
afterEach(async () => {
  for (const parts of opened.splice(0)) {
    parts.vault.stop()
    parts.db.close()
  }
  for (const account of await keyring.accounts().catch(() => [])) await keyring.delete(account).catch(() => false)
  temp.cleanup()
})

function openCore(): Promise<Core> {
  return createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
}

/** The renewer and vault on the core's database, as one process of the app has them. */
function openParts(secrets: SecretStore = store): Parts {
  const db = openDatabase(join(temp.dir, DATABASE_FILE))
  const repo = new DatasourceRepository(db)
  const holder = newHolderId()
  const vault = new SecretVault({ repo, secrets, clock: systemClock, logger: silentLogger, holder })
  const discarded: string[] = []
  const renewer = new Renewer({
    repo,
    vault,
    fetch: globalThis.fetch,
    clock: systemClock,
    logger: silentLogger,
    history: new HistoryLog(repo, systemClock, silentLogger),
    holder,
    onTokenDiscarded: (id) => discarded.push(id),
  })
  const parts = { db, repo, vault, renewer, discarded }
  opened.push(parts)
  return parts
}

/** A new token from the real server for a saved datasource (the password grant). */
async function newToken(parts: Parts, id: string): Promise<IssuedToken> {
  const record = parts.repo.get(id)
  if (record?.auth.type !== 'oauth2-password') throw new Error('not an OAuth datasource')
  const config = oauthConfig(record.auth, await parts.vault.read(id, 'client-secret'))
  const issued = await requestPasswordToken(config, record.auth.username, new Secret(TEST_USER.password), { fetch: globalThis.fetch, now: () => Date.now() })
  if (!issued.ok) throw new Error(issued.error.message)
  return issued.value
}

/** Stores the tokens of these datasources as renewals finishing in the same turn do. */
async function storeTogether(parts: Parts, tokens: ReadonlyMap<string, IssuedToken>) {
  const record = (id: string) => parts.repo.get(id)!
  const config = (id: string) => {
    const auth = record(id).auth
    if (auth.type !== 'oauth2-password') throw new Error('not an OAuth datasource')
    return oauthConfig(auth, null)
  }
  return Promise.all([...tokens].map(([id, issued]) => parts.renewer.storeToken(id, record(id).revision, issued, { config: config(id) })))
}

async function tokensFor(parts: Parts, which: ReadonlyArray<string>): Promise<Map<string, IssuedToken>> {
  const tokens = new Map<string, IssuedToken>()
  for (const id of which) tokens.set(id, await newToken(parts, id))
  return tokens
}

function pendingWrites(parts: Parts): Array<{ account: string; holder: string }> {
  return parts.repo.secretWrites().map(({ account, holder }) => ({ account, holder }))
}

async function bundleAccounts(): Promise<string[]> {
  return (await keyring.accounts()).filter(isTokenBundleAccount)
}

describe('token bundles, real keyring', () => {
  it('writes the tokens of renewals finishing together as one keychain item that each datasource points into', async () => {
    const parts = openParts()
    const before = new Map(ids.map((id) => [id, storedPointer(temp.dir, id, 'access-token')!.account]))
    const tokens = await tokensFor(parts, ids)
    store.writes.length = 0

    const results = await storeTogether(parts, tokens)
    expect(results.every((result) => result.stored)).toBe(true)

    // One keychain write for four datasources' access and refresh tokens.
    expect(store.writes).toHaveLength(1)
    const bundle = store.writes[0]!
    expect(isTokenBundleAccount(bundle)).toBe(true)
    const readsBefore = store.reads
    for (const id of ids) {
      expect(storedPointer(temp.dir, id, 'access-token')).toEqual({ account: bundle, entry: `${id}/access-token` })
      expect(storedPointer(temp.dir, id, 'refresh-token')).toEqual({ account: bundle, entry: `${id}/refresh-token` })
      // Each reads its own entry: the core's read, and a plain read of SQLite and the keychain.
      expect((await parts.vault.read(id, 'access-token'))?.reveal()).toBe(tokens.get(id)!.accessToken.reveal())
      expect(await storedSecret(temp.dir, keyring, id, 'refresh-token')).toBe(tokens.get(id)!.refreshToken!.reveal())
    }
    // The process that wrote the bundle knows its entries (an account never changes): no keychain read.
    expect(store.reads).toBe(readsBefore)
    // The CLI's fast path takes its datasource's entry from the bundle.
    const env = { DATASOURCE_DESK_DATA_DIR: temp.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService }
    const printed = await runCli(['token', 'Gamma'], { env })
    expect(printed.code).toBe(0)
    expect(printed.stdout.trim()).toBe(tokens.get(ids[2]!)!.accessToken.reveal())
    // The bundle's write record is settled; the per-datasource versions it replaced (the lazy
    // migration of older accounts) are released and deleted in the background.
    await expect.poll(() => pendingWrites(parts)).toEqual([])
    const listed = await keyring.accounts()
    for (const old of before.values()) expect(listed).not.toContain(old)
    // Static secrets stay in accounts of their own.
    expect(storedPointer(temp.dir, ids[0]!, 'client-secret')?.entry).toBeNull()

    // A fresh core, as the next start of the app, reads the same tokens.
    parts.vault.stop()
    const core = await openCore()
    try {
      for (const id of ids) expect((await core.service.readSecret(id, 'access-token'))?.reveal()).toBe(tokens.get(id)!.accessToken.reveal())
      // And renews from the bundle's refresh token (a rotating server refuses a wrong one).
      const refreshGrants = server.counts.refreshGrants
      expect(await core.service.renewNow(ids[1]!)).toMatchObject({ ok: true, value: { state: 'idle', lastError: null } })
      expect(server.counts.refreshGrants).toBe(refreshGrants + 1)
    } finally {
      await core.close()
    }
  })

  it('drops only the datasource whose revision changed between the bundle write and the commit', async () => {
    const parts = openParts()
    const [changed, ...others] = ids as [DatasourceId, ...DatasourceId[]]
    const oldPointer = storedPointer(temp.dir, changed, 'access-token')
    const oldToken = await storedSecret(temp.dir, keyring, changed, 'access-token')
    const tokens = await tokensFor(parts, ids)
    // Another process saves new settings for one of them while the bundle is being written.
    store.afterBundleWrite = () => {
      const db = openDatabase(join(temp.dir, DATABASE_FILE))
      const other = new DatasourceRepository(db)
      const record = other.get(changed)!
      other.save({ ...record, revision: record.revision + 1 })
      db.close()
      store.afterBundleWrite = null
    }

    const results = await storeTogether(parts, tokens)
    expect(results.map((result) => result.stored)).toEqual([false, true, true, true])
    expect(results[0]).toMatchObject({ stored: false, reason: 'config-changed' })
    expect(parts.discarded).toEqual([changed])

    const [bundle] = await bundleAccounts()
    expect(bundle).toBeDefined()
    for (const id of others) expect(storedPointer(temp.dir, id, 'access-token')?.account).toBe(bundle)
    // The changed one keeps its old, consistent token; the new one is nowhere it can be read from.
    expect(storedPointer(temp.dir, changed, 'access-token')).toEqual(oldPointer)
    expect(await storedSecret(temp.dir, keyring, changed, 'access-token')).toBe(oldToken)
    await expect.poll(() => pendingWrites(parts)).toEqual([])
  })

  it('deletes a bundle at once when every datasource in it was refused', async () => {
    const parts = openParts()
    const tokens = await tokensFor(parts, ids.slice(0, 2))
    store.afterBundleWrite = () => {
      for (const id of ids.slice(0, 2)) parts.repo.save({ ...parts.repo.get(id)!, revision: parts.repo.revision(id)! + 1 })
    }
    const results = await storeTogether(parts, tokens)
    expect(results.map((result) => result.stored)).toEqual([false, false])
    await expect.poll(bundleAccounts).toEqual([])
    await expect.poll(() => pendingWrites(parts)).toEqual([])
  })

  it('keeps a bundle until its last pointer moves, then releases it', async () => {
    const parts = openParts()
    await storeTogether(parts, await tokensFor(parts, ids.slice(0, 3)))
    const [bundle] = await bundleAccounts()
    expect(bundle).toBeDefined()
    const [first, second, third] = ids as [DatasourceId, DatasourceId, DatasourceId]

    // One datasource renews alone (its own accounts); the bundle stays for the other two.
    await storeTogether(parts, await tokensFor(parts, [first]))
    expect(storedPointer(temp.dir, first, 'access-token')?.account).not.toBe(bundle)
    // The second moves into a new bundle with the fourth.
    await storeTogether(parts, await tokensFor(parts, [second, ids[3]!]))
    await expect.poll(() => pendingWrites(parts)).toEqual([])
    expect(await keyring.get(bundle!)).not.toBeNull()
    expect((await parts.vault.read(third, 'access-token'))?.isEmpty).toBe(false)

    // The third, its last pointer, is deleted: now the bundle goes.
    parts.vault.stop()
    const core = await openCore()
    try {
      unwrap(await core.handlers.deleteDatasource({ id: third }))
      expect(await keyring.get(bundle!)).toBeNull()
      expect((await bundleAccounts()).length).toBe(1)
      expect((await core.service.readSecret(second, 'access-token'))?.isEmpty).toBe(false)
    } finally {
      await core.close()
    }
  })

  it('a sweep by another process leaves a bundle being committed, and one committed, alone', async () => {
    const parts = openParts()
    const sweeper = openParts(keyring)
    const swept: number[] = []
    // The other process sweeps after the bundle is in the keychain and before any pointer commits.
    store.afterBundleWrite = async () => {
      swept.push(await sweeper.vault.sweep())
    }
    const tokens = await tokensFor(parts, ids.slice(0, 3))
    const results = await storeTogether(parts, tokens)
    expect(results.every((result) => result.stored)).toBe(true)
    expect(swept).toEqual([0])
    const [bundle] = await bundleAccounts()
    // Once the old versions are drained, a sweep finds nothing to delete: the bundle is pointed to.
    await expect.poll(() => pendingWrites(parts)).toEqual([])
    expect(await sweeper.vault.sweep()).toBe(0)
    expect(await keyring.get(bundle!)).not.toBeNull()
    for (const id of ids.slice(0, 3)) expect((await sweeper.vault.read(id, 'access-token'))?.reveal()).toBe(tokens.get(id)!.accessToken.reveal())
  })

  it('no process marks a bundle for deletion while the datasources it was written for have not all committed', async () => {
    const parts = openParts()
    const other = openParts(keyring)
    const released: string[][] = []
    // Between the bundle write and the commits, another process drops a pointer to it (as its
    // point() does after moving a datasource away): the live write keeps the bundle.
    store.afterBundleWrite = (account) => {
      released.push(other.repo.transaction(() => other.vault.markForRelease([account])))
    }
    const tokens = await tokensFor(parts, ids.slice(0, 2))
    expect((await storeTogether(parts, tokens)).every((result) => result.stored)).toBe(true)
    expect(released).toEqual([[]])
    await expect.poll(() => pendingWrites(parts)).toEqual([])
    for (const id of ids.slice(0, 2)) expect((await parts.vault.read(id, 'access-token'))?.reveal()).toBe(tokens.get(id)!.accessToken.reveal())
  })

  it(`puts at most ${MAX_BUNDLE_DATASOURCES} datasources and ${MAX_BUNDLE_BYTES / 1024} KiB in one bundle, and the keyring keeps a full one intact`, async () => {
    const parts = openParts()
    const token = (id: string, kind: string, bytes: number) => new Secret(`${id}.${kind}.`.padEnd(bytes, 'x'))
    const stage = (count: number, bytes: number) =>
      Promise.all(
        Array.from({ length: count }, (_, n) => {
          const id = `staged-${bytes}-${n}`
          return parts.vault.stageTokens(id, new Map([['access-token', token(id, 'access', bytes)], ['refresh-token', token(id, 'refresh', bytes)]]))
        }),
      )
    // 70 in one turn: a full bundle and one of the rest.
    const byCount = await stage(MAX_BUNDLE_DATASOURCES + 6, 100)
    const countSizes = [...new Set(byCount.map((staged) => staged[0]!.account))].map((account) => byCount.filter((staged) => staged[0]!.account === account).length)
    expect(countSizes).toEqual([MAX_BUNDLE_DATASOURCES, 6])
    // Three of 2 x 15 KB: two fill a bundle to about 60 KB, the third goes alone (its own accounts).
    const byBytes = await stage(3, 15_000)
    expect(byBytes[0]![0]!.account).toBe(byBytes[1]![0]!.account)
    expect(isTokenBundleAccount(byBytes[0]![0]!.account)).toBe(true)
    expect(isTokenBundleAccount(byBytes[2]![0]!.account)).toBe(false)
    // What the real keyring gives back is each entry, whole.
    for (const staged of [...byCount, ...byBytes]) {
      for (const entry of staged) {
        const raw = (await keyring.get(entry.account))?.reveal() ?? ''
        const value = entry.entry === undefined ? raw : readBundleEntry(raw, entry.entry)
        const bytes = entry.datasourceId.startsWith('staged-100-') ? 100 : 15_000
        expect(value).toBe(token(entry.datasourceId, entry.kind === 'access-token' ? 'access' : 'refresh', bytes).reveal())
      }
    }
    // Never committed: given back, nothing is left behind.
    for (const staged of [...byCount, ...byBytes]) await parts.vault.discard(staged)
    await expect.poll(bundleAccounts).toEqual([])
    await expect.poll(() => pendingWrites(parts)).toEqual([])
  })
})
