import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storedSecret } from '../../support/stored-secrets'
import type { DatasourceInput, DatasourceView } from '../../../shared/datasource'
import { statusKind } from '../../../shared/token'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'

/**
 * Renewal against the real OAuth server with 1-3 s token lifetimes, the real keychain and real
 * SQLite, on the real clock: what a user leaves running is what is tested.
 */
let server: OAuthTestServer
let app: CoreHarness

beforeAll(async () => {
  server = await startOAuthServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  server.setTokenLifetime(2)
  server.setIssueRefreshTokens(true)
  server.setUserPassword(TEST_USER.username, TEST_USER.password)
  server.resetCounts()
  app = await startCoreHarness()
})
afterEach(async () => {
  await app.dispose()
  // Back up for the next test if one stopped it.
  await server.restart().catch(() => undefined)
})

async function saveTested(input: DatasourceInput = passwordForm(server)): Promise<DatasourceView> {
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  return unwrap(await app.core.handlers.saveDatasource({ input, testId }))
}

const statusOf = async (id: string) => unwrap(await app.core.handlers.getDatasource({ id })).status
const accessToken = (id: string) => storedSecret(app.dataDir, app.secretStore, id, 'access-token')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const notifications = () => app.events.filter((event) => event.type === 'notification')

describe('automatic renewal', () => {
  it('keeps a 2 s token valid with no moment at which the stored token is expired, using the refresh grant', async () => {
    const view = await saveTested()
    const seen = new Set<string>()
    const deadline = Date.now() + 6_500
    while (Date.now() < deadline) {
      const status = await statusOf(view.id)
      const expiresAt = status.token?.expiresAt ?? 0
      expect(expiresAt, 'the stored token must never be expired').toBeGreaterThan(Date.now())
      seen.add((await accessToken(view.id)) ?? '')
      await sleep(100)
    }
    // About one renewal every 1.5 s over 6.5 s.
    expect(seen.size).toBeGreaterThanOrEqual(4)
    expect(server.counts.refreshGrants).toBeGreaterThanOrEqual(3)
    expect(server.counts.passwordGrants).toBe(1)
    const history = unwrap(await app.core.handlers.getHistory({ id: view.id }))
    expect(history.filter((event) => event.kind === 'renewed' && event.grant === 'refresh_token').length).toBeGreaterThanOrEqual(3)
  })

  it('uses the password grant when the server issues no refresh token', async () => {
    server.setIssueRefreshTokens(false)
    const view = await saveTested()
    expect(view.status.token?.hasRefreshToken).toBe(false)
    await expect.poll(() => server.counts.passwordGrants, { timeout: 5_000 }).toBeGreaterThanOrEqual(3)
    expect(server.counts.refreshGrants).toBe(0)
  })

  it('falls back to the password grant when the refresh token was revoked', async () => {
    server.setTokenLifetime(3600)
    const view = await saveTested()
    server.revokeRefreshTokens()
    const passwordGrantsBefore = server.counts.passwordGrants
    const status = unwrap(await app.core.handlers.renewNow({ id: view.id }))
    expect(statusKind(status, Date.now())).toBe('valid')
    expect(server.counts.refreshGrants).toBe(1)
    expect(server.counts.passwordGrants).toBe(passwordGrantsBefore + 1)
    const [latest] = unwrap(await app.core.handlers.getHistory({ id: view.id }))
    expect(latest).toMatchObject({ kind: 'renewed', grant: 'password' })
  })

  it('retries with backoff while the server is down, keeps the old token, and recovers by itself', async () => {
    server.setTokenLifetime(3)
    const view = await saveTested()
    const tokenBefore = await accessToken(view.id)
    await server.stop()
    await expect.poll(async () => (await statusOf(view.id)).state, { timeout: 5_000 }).toBe('retrying')
    const retrying = await statusOf(view.id)
    expect(retrying.lastError).toMatchObject({ kind: 'network', transient: true })
    expect(retrying.nextAttemptAt).toBeGreaterThan(Date.now())
    expect(await accessToken(view.id)).toBe(tokenBefore)

    await server.restart()
    // The first backoff is 5 s (+-20%); after it the token is renewed without any call from us.
    await expect.poll(async () => statusKind(await statusOf(view.id), Date.now()), { timeout: 12_000, interval: 250 }).toBe('valid')
    expect(await accessToken(view.id)).not.toBe(tokenBefore)
  }, 30_000)

  it('stops with "Action needed" and exactly one notification when the password was changed on the server', async () => {
    const view = await saveTested()
    server.setUserPassword(TEST_USER.username, 'changed on the server')
    server.revokeRefreshTokens()
    await expect.poll(async () => (await statusOf(view.id)).state, { timeout: 5_000 }).toBe('action-needed')
    const status = await statusOf(view.id)
    expect(status.lastError).toMatchObject({ kind: 'oauth', code: 'invalid_grant' })
    const requests = server.counts.tokenRequests
    await sleep(2_500)
    // No blind retries, and one notification for the episode.
    expect(server.counts.tokenRequests).toBe(requests)
    expect(notifications()).toHaveLength(1)
    // Honest about both: renewal fails, the token obtained before still works until it expires.
    expect(notifications()[0]).toMatchObject({ datasourceId: view.id, title: 'CRM - renewal failing: password rejected', body: expect.stringMatching(/^Valid until /) })
  })

  it('asks for sign-in when no password is stored and the refresh token is gone, then signs in', async () => {
    server.setTokenLifetime(3600)
    const view = await saveTested(passwordForm(server, { rememberPassword: false }))
    server.revokeRefreshTokens()
    const renewed = await app.core.handlers.renewNow({ id: view.id })
    expect(unwrap(renewed).state).toBe('sign-in-needed')
    expect(notifications()).toHaveLength(1)
    const signedIn = unwrap(await app.core.handlers.signIn({ id: view.id, password: TEST_USER.password, remember: false }))
    expect(statusKind(signedIn, Date.now())).toBe('valid')
    expect(await storedSecret(app.dataDir, app.secretStore, view.id, 'password')).toBeNull()
  })

  it('sends one token request for 20 concurrent renew requests, and all get its result', async () => {
    server.setTokenLifetime(3600)
    const view = await saveTested()
    server.resetCounts()
    const stored = passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } })
    const results = await Promise.all([
      ...Array.from({ length: 19 }, () => app.core.handlers.renewNow({ id: view.id })),
      app.core.handlers.testConnection({ testId: randomUUID(), input: { ...stored, id: view.id } }),
    ])
    expect(server.counts.tokenRequests).toBe(1)
    const obtained = new Set(results.map((result) => {
      const value = unwrap(result as Parameters<typeof unwrap>[0]) as { token?: { obtainedAt: number } | null }
      return value.token?.obtainedAt
    }))
    expect(obtained.size).toBe(1)
  })

  it('drops the token and stops renewing when the datasource is deleted', async () => {
    const view = await saveTested()
    unwrap(await app.core.handlers.deleteDatasource({ id: view.id }))
    const requests = server.counts.tokenRequests
    await sleep(2_500)
    expect(server.counts.tokenRequests).toBe(requests)
  })

  it('picks renewal back up after a restart', async () => {
    const view = await saveTested()
    await app.restart()
    const grants = server.counts.refreshGrants
    await expect.poll(() => server.counts.refreshGrants, { timeout: 5_000 }).toBeGreaterThan(grants)
    // The server counts the request before the answer is stored.
    await expect.poll(async () => statusKind(await statusOf(view.id), Date.now())).toBe('valid')
  })
})
