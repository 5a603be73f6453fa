/**
 * Faults injected at each step boundary of save and renewal (issue 5, Faults): the keychain written
 * but SQLite not committed, and the reverse. A "crash" stops the core right after one keychain step
 * (the call never returns) and a new core opens the same files; a failing SQLite write is a real
 * SQLite error, raised by a trigger another connection installs, so the core needs no test hook.
 * Real keyring (run inside with-keyring.sh) and a real OAuth server.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount, SECRET_KINDS, type SecretKind, type SecretStore } from '../../../electron/core/secrets/secret-store'
import { storedSecret } from '../../support/stored-secrets'
import type { DatasourceInput } from '../../../shared/datasource'
import type { DatasourceId } from '../../../shared/ids'
import { passwordForm, unwrap } from '../../support/core-harness'
import { FaultySecretStore } from '../../support/faulty-secret-store'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

let server: OAuthTestServer
let temp: ReturnType<typeof makeTempDir>
let keyring: SecretStore
let faulty: FaultySecretStore
let core: Core

beforeAll(async () => {
  server = await startOAuthServer({ rotateRefreshTokens: true })
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  temp = makeTempDir('dsd-faults-')
  keyring = createKeytarSecretStore(`datasource-desk-test-faults-${randomUUID()}`)
  faulty = new FaultySecretStore(keyring)
  core = await open(faulty)
})
afterEach(async () => {
  await core.close()
  for (const account of await keyring.accounts().catch(() => [])) await keyring.delete(account).catch(() => false)
  temp.cleanup()
})

function open(store: SecretStore): Promise<Core> {
  return createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
}

/** Direct SQL on the app's database, the way another process would see it. */
function sql<T>(work: (db: Database.Database) => T): T {
  const db = new Database(join(temp.dir, DATABASE_FILE))
  try {
    return work(db)
  } finally {
    db.close()
  }
}

/** A SQLite write that fails for real: the core's next INSERT/UPDATE on `table` raises an error. */
function breakWrites(table: 'datasources' | 'tokens', on: 'INSERT' | 'UPDATE'): () => void {
  sql((db) => db.exec(`CREATE TRIGGER injected_fault BEFORE ${on} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`))
  return () => sql((db) => db.exec('DROP TRIGGER injected_fault'))
}

/**
 * Opens a new core over the same files, as after a crash. The abandoned core still lives in this
 * process, so a renewal lease it held is released here the way leaseHolderGone releases a killed
 * process's lease, and its keychain writes in progress are handed to a pid that cannot exist, as
 * holderGone sees a killed process's (the crash-consistency test covers both with real kills).
 */
async function restartAfterCrash(): Promise<void> {
  await core.close()
  sql((db) => db.exec("DELETE FROM renewal_leases; UPDATE secret_writes SET holder = '2147483646:crashed'"))
  core = await open(keyring)
}

async function saveWithToken(input: DatasourceInput) {
  const testId = randomUUID()
  unwrap(await core.handlers.testConnection({ testId, input }))
  return unwrap(await core.handlers.saveDatasource({ input, testId }))
}

/** The datasource ids that have a keychain entry. */
async function keychainOwners(): Promise<Set<string>> {
  return new Set((await keyring.accounts()).map((account) => parseSecretAccount(account)?.datasourceId ?? account))
}

async function secretValue(id: string, kind: SecretKind): Promise<string | null> {
  return storedSecret(temp.dir, keyring, id, kind)
}

/** Every keychain entry is one SQLite points to (once the start-up sweep has run): no orphan, no old version. */
async function expectNoOrphans(): Promise<void> {
  const unpointed = async () => {
    const pointed = new Set(sql((db) => db.prepare('SELECT account FROM secret_accounts').pluck().all() as string[]))
    return (await keyring.accounts()).filter((account) => !pointed.has(account))
  }
  await expect.poll(unpointed, { timeout: 10_000 }).toEqual([])
}

/** The datasource works again after at most one renewal. */
async function expectRecoversWithOneRenewal(id: string): Promise<void> {
  const renewed = await core.renewNow(id)
  expect(renewed).toMatchObject({ ok: true, value: { state: 'idle', lastError: null } })
  expect(await secretValue(id, 'access-token')).not.toBeNull()
}

const newDatasourceId = (): string => {
  const written = faulty.log.find((entry) => entry.startsWith('set '))
  return parseSecretAccount(written?.slice(4) ?? '')?.datasourceId ?? ''
}

describe('save of a new datasource', () => {
  it.each(SECRET_KINDS)('a crash right after the %s reaches the keychain leaves no datasource, and the sweep removes the secrets', async (kind) => {
    const input = passwordForm(server, {}, 'New')
    const testId = randomUUID()
    unwrap(await core.handlers.testConnection({ testId, input }))
    const crashed = faulty.inject({ operation: 'set', kind, action: 'crash-after' })
    void core.handlers.saveDatasource({ input, testId })
    await crashed
    const id = newDatasourceId()
    expect((await keychainOwners()).has(id)).toBe(true)

    await restartAfterCrash()
    expect(core.service.list()).toEqual([])
    await expectNoOrphans()
  })

  it('a keychain write that fails refuses the save with a keychain error, and stores nothing', async () => {
    void faulty.inject({ operation: 'set', kind: 'password', action: 'fail' })
    const result = await core.handlers.saveDatasource({ input: passwordForm(server, {}, 'New') })
    expect(result).toMatchObject({ ok: false, error: { kind: 'keychain', code: 'failed' } })
    expect(core.service.list()).toEqual([])
    await restartAfterCrash()
    expect(core.service.list()).toEqual([])
    await expectNoOrphans()
  })

  it('a SQLite write that fails after the keychain writes refuses the save with a storage error and removes the secrets', async () => {
    const repair = breakWrites('datasources', 'INSERT')
    const result = await core.handlers.saveDatasource({ input: passwordForm(server, {}, 'New') })
    expect(result).toMatchObject({ ok: false, error: { kind: 'storage' } })
    expect(core.service.list()).toEqual([])
    // Removed at once, not only by the next start's sweep.
    expect(await keyring.accounts()).toEqual([])
    repair()
    await restartAfterCrash()
    expect(core.service.list()).toEqual([])
  })
})

describe('save of an edited datasource', () => {
  /** Scope changed and the password typed again: the stored token is dropped, secrets rewritten. */
  const edit = (id: DatasourceId): DatasourceInput => ({
    ...passwordForm(server, { scope: 'read write', clientSecret: { action: 'keep' } }),
    id,
  })

  it('a crash right after the new password reaches the keychain keeps the saved settings, and one renewal brings the token back', async () => {
    const saved = await saveWithToken(passwordForm(server))
    const crashed = faulty.inject({ operation: 'set', kind: 'password', action: 'crash-after' })
    void core.handlers.saveDatasource({ input: edit(saved.id) })
    await crashed

    await restartAfterCrash()
    const [view] = core.service.list()
    // The old settings: the edit never reached SQLite, and SQLite still points at the old secrets.
    expect(view).toMatchObject({ id: saved.id, auth: { scope: 'read', hasClientSecret: true, hasPassword: true } })
    expect(await secretValue(saved.id, 'client-secret')).not.toBeNull()
    await expectRecoversWithOneRenewal(saved.id)
    await expectNoOrphans()
  })

  it.each(['access-token', 'refresh-token'] as const)(
    'a crash while the old %s is deleted (after the edit committed) keeps the new settings; the sweep takes the leftovers',
    async (kind) => {
      const saved = await saveWithToken(passwordForm(server))
      const crashed = faulty.inject({ operation: 'delete', kind, action: 'crash-after' })
      void core.handlers.saveDatasource({ input: edit(saved.id) })
      await crashed

      await restartAfterCrash()
      const [view] = core.service.list()
      expect(view).toMatchObject({ id: saved.id, auth: { scope: 'read write', hasClientSecret: true, hasPassword: true }, status: { token: null } })
      expect(await secretValue(saved.id, 'access-token')).toBeNull()
      await expectRecoversWithOneRenewal(saved.id)
      await expectNoOrphans()
    },
  )

  it('a keychain write that fails refuses the edit and leaves the saved datasource and its token as they were', async () => {
    const saved = await saveWithToken(passwordForm(server))
    const accessToken = await secretValue(saved.id, 'access-token')
    void faulty.inject({ operation: 'set', kind: 'password', action: 'fail' })
    const result = await core.handlers.saveDatasource({ input: edit(saved.id) })
    expect(result).toMatchObject({ ok: false, error: { kind: 'keychain' } })
    expect(await secretValue(saved.id, 'access-token')).toBe(accessToken)
    expect(core.service.list()[0]).toMatchObject({ auth: { scope: 'read' }, status: { token: saved.status.token } })
  })

  it('a SQLite write that fails refuses the edit with a storage error; the saved settings stay and renewal works', async () => {
    const saved = await saveWithToken(passwordForm(server))
    const repair = breakWrites('datasources', 'UPDATE')
    const result = await core.handlers.saveDatasource({ input: edit(saved.id) })
    expect(result).toMatchObject({ ok: false, error: { kind: 'storage' } })
    repair()
    expect(core.service.list()[0]).toMatchObject({ auth: { scope: 'read', hasPassword: true } })
    await restartAfterCrash()
    await expectRecoversWithOneRenewal(saved.id)
  })
})

describe('renewal', () => {
  it.each(['access-token', 'refresh-token'] as const)(
    'a crash right after the new %s reaches the keychain: one renewal recovers (a rotated refresh token falls back to the password)',
    async (kind) => {
      const saved = await saveWithToken(passwordForm(server))
      const crashed = faulty.inject({ operation: 'set', kind, action: 'crash-after' })
      void core.renewNow(saved.id)
      await crashed

      await restartAfterCrash()
      const [view] = core.service.list()
      // SQLite still has the metadata of the token it committed last.
      expect(view?.status.token).toEqual(saved.status.token)
      await expectRecoversWithOneRenewal(saved.id)
      expect(core.service.list()[0]?.status.token?.obtainedAt).toBeGreaterThan(saved.status.token?.obtainedAt ?? 0)
    },
  )

  it('a SQLite write that fails after the keychain writes is a transient storage error; the next renewal works', async () => {
    const saved = await saveWithToken(passwordForm(server))
    const repair = breakWrites('tokens', 'UPDATE')
    const failed = await core.renewNow(saved.id)
    expect(failed).toMatchObject({ ok: true, value: { state: 'retrying', lastError: { kind: 'storage', transient: true } } })
    // The last committed token metadata is still there.
    expect(core.service.list()[0]?.status.token).toEqual(saved.status.token)
    repair()
    await expectRecoversWithOneRenewal(saved.id)
  })

  it('a keychain write that fails is a transient keychain error; the last good token is kept and the next renewal works', async () => {
    const saved = await saveWithToken(passwordForm(server))
    const accessToken = await secretValue(saved.id, 'access-token')
    void faulty.inject({ operation: 'set', kind: 'access-token', action: 'fail' })
    const failed = await core.renewNow(saved.id)
    expect(failed).toMatchObject({ ok: true, value: { state: 'retrying', lastError: { kind: 'keychain', transient: true } } })
    expect(await secretValue(saved.id, 'access-token')).toBe(accessToken)
    expect(core.service.list()[0]?.status.token).toEqual(saved.status.token)
    await expectRecoversWithOneRenewal(saved.id)
  })
})
