/**
 * Issue 12 item 1: a token obtained for old settings is never stored under new ones. A proxy holds
 * the renewal's token request while Save changes what the token depends on (the scope, the
 * username) or Delete removes the datasource; then the answer is let through. The token must be
 * discarded: nothing in SQLite or the keychain, in this process and when the renewal runs in
 * another process (the built CLI), and no orphan keychain entry after a delete.
 * Real keyring (with-keyring.sh), real OAuth server on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../../electron/core/deps'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import type { DatasourceInput, DatasourceView, OAuth2PasswordInput } from '../../../shared/datasource'
import { ensureCliBuilt, runCli } from '../../support/cli-runner'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { startHoldingProxy, type HoldingProxy } from '../../support/holding-proxy'
import { requireKeyringSession } from '../../support/keyring-session'
import { startOAuthServer, TEST_USER, type OAuthTestServer } from '../../support/oauth-server'
import { storedAccount, storedSecret } from '../../support/stored-secrets'

/** Real time, but timers that never fire: the core renews only when told to. */
const heldTimers: Clock = { now: () => Date.now(), setTimeout: () => null, clearTimeout: () => {} }

let server: OAuthTestServer
let proxy: HoldingProxy
let app: CoreHarness
let saved: DatasourceView

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
  // A second account with the same password, so that a token for the wrong user would be usable.
  server.setUserPassword('someone-else', TEST_USER.password)
}, 120_000)

afterAll(async () => {
  await server?.close()
})

beforeEach(async () => {
  proxy = await startHoldingProxy(server.tokenUrl)
  proxy.release()
  app = await startCoreHarness({ clock: heldTimers })
  const input = passwordForm(server, { tokenUrl: proxy.tokenUrl, scope: 'read' })
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  saved = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
  expect(saved.status.token?.hasRefreshToken).toBe(true)
  proxy.hold()
})

afterEach(async () => {
  proxy.release()
  await app.dispose()
  await proxy.close()
})

/** The saved datasource with some token-relevant fields changed, its secrets kept. */
function edited(change: Partial<OAuth2PasswordInput>): DatasourceInput {
  const form = passwordForm(server, { tokenUrl: proxy.tokenUrl, clientSecret: { action: 'keep' }, password: { action: 'keep' }, ...change })
  return { ...form, id: saved.id }
}

/** Keychain entries of the saved datasource that SQLite does not point to (a stale or orphan write). */
async function unpointedEntries(): Promise<string[]> {
  const pointed = new Set(
    (['client-secret', 'password', 'access-token', 'refresh-token'] as const).map((kind) => storedAccount(app.dataDir, saved.id, kind)),
  )
  return (await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === saved.id && !pointed.has(account))
}

async function expectNoTokenStored(): Promise<void> {
  const view = unwrap(await app.core.handlers.getDatasource({ id: saved.id }))
  expect(view.status.token).toBeNull()
  expect(await storedSecret(app.dataDir, app.secretStore, saved.id, 'access-token')).toBeNull()
  expect(await storedSecret(app.dataDir, app.secretStore, saved.id, 'refresh-token')).toBeNull()
  // Old versions are deleted in the background, after the write that released them.
  await expect.poll(unpointedEntries).toEqual([])
}

describe('a renewal in flight while the settings change, in this process', () => {
  it.each<[string, Partial<OAuth2PasswordInput>]>([
    ['the scope', { scope: 'read write' }],
    ['the username', { username: 'someone-else' }],
  ])('discards the token when Save changes %s, and stores nothing', async (_what, change) => {
    const renewal = app.core.handlers.renewNow({ id: saved.id })
    await proxy.waitForArrivals(1)
    const edit = unwrap(await app.core.handlers.saveDatasource({ input: edited(change) }))
    expect(edit.status.token).toBeNull()
    proxy.release()

    expect(await renewal).toMatchObject({ ok: false, error: { kind: 'conflict', code: 'config-changed' } })
    await expectNoTokenStored()
    await app.restart()
    await expectNoTokenStored()

    // The next renewal is made for the new settings and is stored.
    server.resetCounts()
    const renewed = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(renewed.token?.requestedScope).toBe(change.scope ?? 'read')
    expect(server.counts.passwordGrants).toBe(1)
  })

  it('stores the token when Save changed nothing it depends on (a rename)', async () => {
    const renewal = app.core.handlers.renewNow({ id: saved.id })
    await proxy.waitForArrivals(1)
    unwrap(await app.core.handlers.saveDatasource({ input: { ...edited({}), name: 'CRM renamed' } }))
    proxy.release()

    expect(await renewal).toMatchObject({ ok: true, value: { state: 'idle' } })
    const view = unwrap(await app.core.handlers.getDatasource({ id: saved.id }))
    expect(view.name).toBe('CRM renamed')
    expect(view.status.token?.obtainedAt).toBeGreaterThan(saved.status.token?.obtainedAt ?? Infinity)
    await expect.poll(unpointedEntries).toEqual([])
  })

  it('writes nothing for a datasource deleted while its token was requested: no orphan keychain entries', async () => {
    const renewal = app.core.handlers.renewNow({ id: saved.id })
    await proxy.waitForArrivals(1)
    unwrap(await app.core.handlers.deleteDatasource({ id: saved.id }))
    proxy.release()

    expect((await renewal).ok).toBe(false)
    expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === saved.id)).toEqual([])
  })
})

describe('a renewal in flight in another process (the CLI) while the app saves new settings', () => {
  it.each<[string, Partial<OAuth2PasswordInput>]>([
    ['the scope', { scope: 'read write' }],
    ['the username', { username: 'someone-else' }],
  ])('the CLI discards the token when the app changes %s, and the app keeps no token', async (_what, change) => {
    const renewal = runCli(['renew', saved.name], {
      env: { DATASOURCE_DESK_DATA_DIR: app.dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: app.keychainService },
    })
    await proxy.waitForArrivals(1)
    unwrap(await app.core.handlers.saveDatasource({ input: edited(change) }))
    proxy.release()

    const result = await renewal
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('settings changed')
    await expectNoTokenStored()
    const token = await runCli(['token', saved.name], {
      env: { DATASOURCE_DESK_DATA_DIR: app.dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: app.keychainService },
    })
    // Served only after a renewal made for the new settings.
    expect(token.code).toBe(0)
    await app.restart()
    expect(unwrap(await app.core.handlers.getDatasource({ id: saved.id })).status.token?.requestedScope).toBe(change.scope ?? 'read')
  })
})
