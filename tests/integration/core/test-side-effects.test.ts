/**
 * Issue 12 item 4: Test connection on a saved, unchanged datasource is a renewal, but a failing one
 * changes no stored state: no "action needed" or "retrying", no history event, no OS
 * notification; the error is shown on the form only. Real keyring, real OAuth server.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DatasourceView } from '../../../shared/datasource'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { startOAuthServer, TEST_USER, type OAuthTestServer } from '../../support/oauth-server'

let server: OAuthTestServer
let app: CoreHarness
let saved: DatasourceView

beforeAll(async () => {
  requireKeyringSession()
  server = await startOAuthServer()
})
afterAll(async () => {
  await server?.close()
})
beforeEach(async () => {
  server.setUserPassword(TEST_USER.username, TEST_USER.password)
  app = await startCoreHarness()
  const input = passwordForm(server)
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  saved = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
})
afterEach(async () => {
  await app.dispose()
})

describe('Test connection on a saved, unchanged datasource', () => {
  it('that fails leaves the status, the history and the notifications as they were', async () => {
    const historyBefore = unwrap(await app.core.handlers.getHistory({ id: saved.id }))
    const eventsBefore = app.events.length
    // The refresh token is dead and the stored password no longer works: a permanent failure.
    server.revokeRefreshTokens()
    server.setUserPassword(TEST_USER.username, 'changed on the server')
    const unchanged = { ...passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } }), id: saved.id }

    const tested = await app.core.handlers.testConnection({ testId: randomUUID(), input: unchanged })
    expect(tested).toMatchObject({ ok: false, error: { kind: 'oauth', code: 'invalid_grant' } })

    const view = unwrap(await app.core.handlers.getDatasource({ id: saved.id }))
    expect(view.status).toMatchObject({ state: 'idle', token: saved.status.token, lastError: null, attempt: 0 })
    expect(unwrap(await app.core.handlers.getHistory({ id: saved.id }))).toEqual(historyBefore)
    expect(app.events.slice(eventsBefore).filter((event) => event.type === 'notification')).toEqual([])
    await app.restart()
    expect(unwrap(await app.core.handlers.getDatasource({ id: saved.id })).status).toMatchObject({ state: 'idle', lastError: null })
  })

  it('that succeeds stores the renewed token, as a renewal does', async () => {
    const unchanged = { ...passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } }), id: saved.id }
    const tested = unwrap(await app.core.handlers.testConnection({ testId: randomUUID(), input: unchanged }))
    const view = unwrap(await app.core.handlers.getDatasource({ id: saved.id }))
    expect(view.status.token).toEqual(tested.token)
    expect(view.status.token?.obtainedAt).toBeGreaterThan(saved.status.token?.obtainedAt ?? Infinity)
  })
})
