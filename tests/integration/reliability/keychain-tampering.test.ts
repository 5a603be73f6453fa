/**
 * A keychain entry deleted or changed behind the app's back (issue 5, Secrets): the datasource says
 * which secret is missing and asks for it, renewal stops at "action needed" with that reason, and
 * nothing crashes. Real keyring (run inside with-keyring.sh), real OAuth server.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Secret } from '../../../electron/core/secrets/secret'
import type { SecretKind } from '../../../electron/core/secrets/secret-store'
import { storedAccount } from '../../support/stored-secrets'
import type { DatasourceInput, DatasourceView } from '../../../shared/datasource'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'

let server: OAuthTestServer
let app: CoreHarness
let saved: DatasourceView

beforeAll(async () => {
  server = await startOAuthServer({ rotateRefreshTokens: true })
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  server.setTokenLifetime(3600)
  app = await startCoreHarness()
  const input = passwordForm(server)
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  saved = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
})
afterEach(async () => {
  await app.dispose()
})

const account = (kind: SecretKind) => storedAccount(app.dataDir, saved.id, kind) ?? `${saved.id}/${kind}/none`
const view = async () => unwrap(await app.core.handlers.getDatasource({ id: saved.id }))

describe('a secret deleted behind the app', () => {
  it.each([
    ['client-secret', 'client secret'],
    ['password', 'password'],
  ] as const)('the %s: renewal stops at action-needed naming it, and asks for it', async (kind, label) => {
    await app.secretStore.delete(account(kind))
    // Without a working refresh token the password grant needs both secrets.
    server.revokeRefreshTokens()
    const status = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(status.state).toBe('action-needed')
    expect(status.lastError).toMatchObject({ kind: 'keychain', code: 'secret-missing' })
    expect(status.lastError?.message).toContain(`stored ${label} is missing`)
    expect(status.lastError?.hint).toContain(`enter the ${label} again`)
    // The datasource shows it, one notification asks for it, and the history says why.
    expect((await view()).status.lastError).toMatchObject({ code: 'secret-missing' })
    expect(app.events.filter((event) => event.type === 'notification')).toEqual([
      expect.objectContaining({ title: 'CRM - renewal stopped: a stored secret is missing', body: expect.stringContaining(label) }),
    ])
    expect(unwrap(await app.core.handlers.getHistory({ id: saved.id }))[0]).toMatchObject({ kind: 'action-needed' })
  })

  it('the client secret: Test connection says the same, and typing it again brings renewal back', async () => {
    await app.secretStore.delete(account('client-secret'))
    server.revokeRefreshTokens()
    const tested = await app.core.handlers.testConnection({ testId: randomUUID(), input: { ...passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } }), id: saved.id } })
    expect(tested).toMatchObject({ ok: false, error: { kind: 'keychain', code: 'secret-missing' } })

    const again: DatasourceInput = { ...passwordForm(server, { clientSecret: { action: 'set', value: CONFIDENTIAL_CLIENT.secret }, password: { action: 'keep' } }), id: saved.id }
    unwrap(await app.core.handlers.saveDatasource({ input: again }))
    const status = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(status).toMatchObject({ state: 'idle', lastError: null })
  })

  it('the refresh token or the access token: renewal falls back to the password, nothing to ask', async () => {
    await app.secretStore.delete(account('refresh-token'))
    await app.secretStore.delete(account('access-token'))
    const status = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(status).toMatchObject({ state: 'idle', lastError: null })
    expect(await app.secretStore.get(account('access-token'))).not.toBeNull()
  })

  it('the scheduler finds it on its own when the token is due, and stops there (no retry loop)', async () => {
    server.setTokenLifetime(2)
    const testId = randomUUID()
    const input = passwordForm(server, {}, 'Short')
    unwrap(await app.core.handlers.testConnection({ testId, input }))
    const short = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
    await app.secretStore.delete(storedAccount(app.dataDir, short.id, 'client-secret')!)
    server.revokeRefreshTokens()
    server.resetCounts()
    await expect
      .poll(async () => unwrap(await app.core.handlers.getDatasource({ id: short.id })).status.state, { timeout: 10_000 })
      .toBe('action-needed')
    // The secret is read before any request is sent; and nothing is retried afterwards.
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    expect(server.counts.tokenRequests).toBe(0)
    expect(unwrap(await app.core.handlers.getDatasource({ id: short.id })).status.lastError).toMatchObject({ code: 'secret-missing' })
  }, 20_000)
})

describe('a secret changed behind the app', () => {
  it('a wrong password: invalid_grant, action-needed with the server words, no crash', async () => {
    await app.secretStore.set(account('password'), new Secret(`${TEST_USER.password}-changed`))
    server.revokeRefreshTokens()
    const status = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(status.state).toBe('action-needed')
    expect(status.lastError).toMatchObject({ kind: 'oauth', code: 'invalid_grant' })
    expect(status.lastError?.hint).toMatch(/password/i)
    expect(JSON.stringify(status)).not.toContain(`${TEST_USER.password}-changed`)
  })

  it('a garbled refresh token: invalid_grant, then the password grant renews', async () => {
    await app.secretStore.set(account('refresh-token'), new Secret('not-a-refresh-token'))
    server.resetCounts()
    const status = unwrap(await app.core.handlers.renewNow({ id: saved.id }))
    expect(status).toMatchObject({ state: 'idle', lastError: null })
    expect(server.counts).toMatchObject({ refreshGrants: 1, passwordGrants: 1 })
  })
})
