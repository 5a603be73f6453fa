import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DatasourceInput, DatasourceView } from '../../../shared/datasource'
import { statusKind } from '../../../shared/token'
import { statusView } from '../../../shared/token-status'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { startOAuthServer, type InjectedFailure, type OAuthTestServer } from '../../support/oauth-server'

/**
 * A dead refresh token is said in many ways (OAUTH-NOTES, "What independent servers taught us");
 * each of them falls back to the stored password. Only a refused client, network trouble and 5xx
 * do not. Real server, real keychain, real SQLite.
 */
let server: OAuthTestServer
let app: CoreHarness

beforeAll(async () => {
  server = await startOAuthServer({ tokenLifetime: 3600 })
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  server.resetCounts()
  app = await startCoreHarness()
})
afterEach(async () => {
  await app.dispose()
})

async function saveTested(input: DatasourceInput = passwordForm(server)): Promise<DatasourceView> {
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  return unwrap(await app.core.handlers.saveDatasource({ input, testId }))
}

const DEAD_REFRESH_TOKEN: ReadonlyArray<readonly [string, InjectedFailure]> = [
  ['invalid_grant', { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } }],
  ['invalid_request "Token has expired"', { status: 400, body: { error: 'invalid_request', error_description: 'Token has expired' } }],
  ['invalid_request "revoked"', { status: 400, body: { error: 'invalid_request', error_description: 'Refresh token was revoked' } }],
  ['an empty 400', { status: 400 }],
  ['an empty 401', { status: 401 }],
  ['unauthorized_client', { status: 400, body: { error: 'unauthorized_client' } }],
]

describe('refresh fallback to the stored password', () => {
  for (const [name, answer] of DEAD_REFRESH_TOKEN) {
    it(`falls back on ${name}`, async () => {
      const view = await saveTested()
      server.resetCounts()
      server.failNext(1, answer)
      const status = unwrap(await app.core.handlers.renewNow({ id: view.id }))
      expect(statusKind(status, Date.now())).toBe('valid')
      expect(server.counts).toMatchObject({ refreshGrants: 1, passwordGrants: 1 })
      const history = unwrap(await app.core.handlers.getHistory({ id: view.id }))
      expect(history[0]).toMatchObject({ kind: 'renewed', grant: 'password' })
    })
  }

  it('records a refused refresh token even when the password grant after it cannot reach the server, and clears it with the next token', async () => {
    const view = await saveTested()
    server.resetCounts()
    server.failNext(1, { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } })
    server.failNext(1, { status: 503, body: 'maintenance', headers: { 'content-type': 'text/plain' } })
    const status = unwrap(await app.core.handlers.renewNow({ id: view.id }))
    expect(server.counts).toMatchObject({ refreshGrants: 1, passwordGrants: 1 })
    expect(status.state).toBe('retrying')
    // The stored state alone (retrying, an HTTP 503) says nothing about the refresh token.
    expect(statusView({ status, authenticated: true, viewer: 'scheduler' }, Date.now()).refreshToken).toBe('not-accepted')
    expect(app.core.repo.token(view.id)?.refreshRejectedAt).toBeGreaterThan(0)

    const renewed = unwrap(await app.core.handlers.renewNow({ id: view.id }))
    expect(renewed.state).toBe('idle')
    expect(renewed.token?.refreshRejectedAt).toBeUndefined()
    expect(app.core.repo.token(view.id)?.refreshRejectedAt).toBeUndefined()
    expect(statusView({ status: renewed, authenticated: true, viewer: 'scheduler' }, Date.now()).refreshToken).toBe('held')
  })

  it('does not fall back on invalid_client: the password grant would be refused the same way', async () => {
    const view = await saveTested()
    server.resetCounts()
    server.failNext(1, { status: 401, body: { error: 'invalid_client' } })
    await app.core.handlers.renewNow({ id: view.id })
    expect(server.counts).toMatchObject({ refreshGrants: 1, passwordGrants: 0 })
  })

  it('does not fall back on a 5xx: it retries later instead', async () => {
    const view = await saveTested()
    server.resetCounts()
    server.failNext(1, { status: 503, body: 'maintenance', headers: { 'content-type': 'text/plain' } })
    const status = unwrap(await app.core.handlers.renewNow({ id: view.id }))
    expect(status.state).toBe('retrying')
    expect(server.counts).toMatchObject({ refreshGrants: 1, passwordGrants: 0 })
  })

  it('without a stored password, says that entering the password again fixes it (app words and CLI words)', async () => {
    const view = await saveTested(passwordForm(server, { rememberPassword: false }))
    server.failNext(1, { status: 400, body: { error: 'invalid_request', error_description: 'Token has expired' } })
    const status = unwrap(await app.core.handlers.renewNow({ id: view.id }))
    expect(status.state).toBe('sign-in-needed')
    expect(status.lastError).toMatchObject({ kind: 'sign-in-needed', code: 'refresh-token-rejected' })
    // The renewer recorded the refusal with the token: in the status sent, and in SQLite.
    expect(status.token?.refreshRejectedAt).toBeGreaterThan(0)
    expect(app.core.repo.token(view.id)?.refreshRejectedAt).toBe(status.token?.refreshRejectedAt)
    expect(statusView({ status, authenticated: true, viewer: 'scheduler' }, Date.now()).refreshToken).toBe('not-accepted')
    expect(status.lastError!.message).toContain('invalid_request')
    expect(status.lastError!.hint).toContain('Entering the password again fixes this')
    expect(status.lastError!.hint).toContain('Sign in')
    expect(status.lastError!.cliHint).toContain('datasource-desk edit <name> --password-prompt')
  })
})
