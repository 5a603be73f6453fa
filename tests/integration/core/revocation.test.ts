/**
 * Revocation (RFC 7009) by the core, against @jmondi/oauth2-server (a real revocation endpoint):
 * a token the renewer discards because the settings changed while it was requested is revoked at
 * the server it came from, and a delete never waits for or fails because of a server that is gone.
 * A holding proxy stands in front of the server (token URL, revocation endpoint and its RFC 8414
 * metadata on one origin) so that a renewal can be held while Save changes the settings.
 * Real keyring (with-keyring.sh), real SQLite.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { Clock } from '../../../electron/core/deps'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import type { DatasourceInput, DatasourceView } from '../../../shared/datasource'
import { revocationText } from '../../../shared/revocation'
import { startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { startHoldingProxy, type HoldingProxy } from '../../support/holding-proxy'
import { PLAIN_CLIENT, PLAIN_USER, type InteropServer } from '../../support/interop/interop-server'
import { startJmondiServer } from '../../support/interop/jmondi-server'
import { requireKeyringSession } from '../../support/keyring-session'
import { passwordFormFor } from '../../support/password-form'

const heldTimers: Clock = { now: () => Date.now(), setTimeout: () => null, clearTimeout: () => {} }

let server: InteropServer
let proxy: HoldingProxy
let app: CoreHarness
let saved: DatasourceView

beforeAll(async () => {
  requireKeyringSession()
  server = await startJmondiServer()
}, 60_000)

afterAll(async () => {
  await server?.close()
})

function form(scope: string, keep = false): DatasourceInput {
  const issuer = new URL(proxy.tokenUrl).origin
  const input = passwordFormFor(
    { tokenUrl: proxy.tokenUrl, apiUrl: server.apiUrl },
    { clientId: PLAIN_CLIENT.id, clientSecret: PLAIN_CLIENT.secret, username: PLAIN_USER.username, password: PLAIN_USER.password },
    { clientAuth: 'body', scope, issuer, ...(keep ? { clientSecret: { action: 'keep' as const }, password: { action: 'keep' as const } } : {}) },
  )
  return keep ? { ...input, id: saved.id } : input
}

async function refreshAccepted(refreshToken: string): Promise<boolean> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret })
  const response = await fetch(server.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  await response.body?.cancel()
  return response.status === 200
}

beforeEach(async () => {
  proxy = await startHoldingProxy(server.tokenUrl, { revocationUrl: new URL('/oauth/revoke', server.tokenUrl).href })
  proxy.release()
  app = await startCoreHarness({ clock: heldTimers })
  const discovered = unwrap(await app.core.handlers.discoverIssuer({ issuer: new URL(proxy.tokenUrl).origin }))
  expect(discovered.revocationEndpoint).toBe(`${new URL(proxy.tokenUrl).origin}/revoke`)
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input: form('read') }))
  saved = unwrap(await app.core.handlers.saveDatasource({ input: form('read'), testId }))
  expect(saved.auth.type === 'oauth2-password' && saved.auth.discovery?.revocationEndpoint).toBeTruthy()
})

afterEach(async () => {
  proxy.release()
  await app.dispose()
  await proxy.close()
})

it('revokes a token the renewer discarded (the settings changed while it was requested), at the server it came from', async () => {
  proxy.hold()
  const renewal = app.core.handlers.renewNow({ id: saved.id })
  await proxy.waitForArrivals(1)
  unwrap(await app.core.handlers.saveDatasource({ input: form('read write', true) }))
  proxy.release()
  expect(await renewal).toMatchObject({ ok: false, error: { code: 'config-changed' } })
  await app.core.service.revocationsSettled()

  const discarded = JSON.parse(proxy.tokenResponses.at(-1) ?? '{}') as { refresh_token?: string }
  expect(discarded.refresh_token).toBeTruthy()
  // Two for the token the renewal brought back, two for the stored one the Save dropped.
  expect(proxy.revocations).toBe(4)
  expect(await refreshAccepted(discarded.refresh_token!)).toBe(false)
  const history = unwrap(await app.core.handlers.getHistory({ id: saved.id }))
  expect(history.map((event) => event.message)).toContain(
    `A token obtained for the previous settings was discarded. Revoked the refresh token and the access token at ${new URL(proxy.tokenUrl).host}.`,
  )
  // What the history and the log say is about the token, never the token.
  const bytes = app.databaseBytes()
  for (const secret of [discarded.refresh_token!, PLAIN_CLIENT.secret]) expect(bytes.includes(Buffer.from(secret))).toBe(false)
})

/** The stored refresh token, still accepted by the server before the change that drops it. */
async function storedRefreshToken(): Promise<string> {
  const stored = (await app.core.service.readSecret(saved.id, 'refresh-token'))?.reveal()
  expect(stored).toBeTruthy()
  expect(await refreshAccepted(stored!)).toBe(true)
  return stored!
}

/** Both tokens revoked once the background work ended; the server refuses the refresh token; History says so. */
async function expectDroppedTokenRevoked(stored: string): Promise<void> {
  await app.core.service.revocationsSettled()
  expect(proxy.revocations).toBe(2)
  expect(await refreshAccepted(stored)).toBe(false)
  const history = unwrap(await app.core.handlers.getHistory({ id: saved.id }))
  expect(history.map((event) => event.message)).toContain(
    `The token of the previous settings was dropped. Revoked the refresh token and the access token at ${new URL(proxy.tokenUrl).host}.`,
  )
}

it('revokes the stored token a Save dropped (the scope changed) in the background, at the server it came from', async () => {
  const stored = await storedRefreshToken()
  unwrap(await app.core.handlers.saveDatasource({ input: form('read write', true) }))
  // Save answered before any revocation request reached the server.
  expect(proxy.revocations).toBe(0)
  await expectDroppedTokenRevoked(stored)
  expect(app.databaseBytes().includes(Buffer.from(stored))).toBe(false)
})

it('revokes the stored token that an import replacing the datasource dropped (the scope changed in the file)', async () => {
  const stored = await storedRefreshToken()
  const file = JSON.parse(unwrap(await app.core.handlers.exportDatasources({ ids: [saved.id] })).text) as { datasources: Array<{ auth: { scope: string } }> }
  file.datasources[0]!.auth.scope = 'read write'
  unwrap(await app.core.handlers.importDatasources({ text: JSON.stringify(file), replace: true }))
  await expectDroppedTokenRevoked(stored)
})

it('revokes nothing when an import replaces a datasource with the same settings', async () => {
  const stored = (await app.core.service.readSecret(saved.id, 'refresh-token'))?.reveal()
  const file = unwrap(await app.core.handlers.exportDatasources({ ids: [saved.id] })).text
  unwrap(await app.core.handlers.importDatasources({ text: file, replace: true }))
  await app.core.service.revocationsSettled()
  expect(proxy.revocations).toBe(0)
  expect((await app.core.service.readSecret(saved.id, 'refresh-token'))?.reveal()).toBe(stored)
})

it('revokes nothing when a Save keeps the token (a rename)', async () => {
  const stored = (await app.core.service.readSecret(saved.id, 'refresh-token'))?.reveal()
  unwrap(await app.core.handlers.saveDatasource({ input: { ...form('read', true), name: 'Renamed' } }))
  await app.core.service.revocationsSettled()
  expect(proxy.revocations).toBe(0)
  expect((await app.core.service.readSecret(saved.id, 'refresh-token'))?.reveal()).toBe(stored)
  expect(await refreshAccepted(stored!)).toBe(true)
})

it('deletes at once when the server is gone, and says the tokens could not be revoked', async () => {
  await proxy.close()
  const deleted = unwrap(await app.core.handlers.deleteDatasource({ id: saved.id }))
  expect(deleted.revocation).toMatchObject({ revoked: [], error: { kind: 'network', code: 'refused' } })
  expect(revocationText(deleted.revocation!)).toMatch(/^Could not revoke the tokens at 127\.0\.0\.1:\d+: .*refused the connection \(the tokens expire on their own\)\.$/)
  expect(await app.core.handlers.getDatasource({ id: saved.id })).toMatchObject({ ok: false, error: { kind: 'not-found' } })
  expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === saved.id)).toEqual([])
})

it('makes no revocation request for a datasource whose server advertises no endpoint', async () => {
  const plain = passwordFormFor(
    { tokenUrl: server.tokenUrl, apiUrl: server.apiUrl },
    { clientId: PLAIN_CLIENT.id, clientSecret: PLAIN_CLIENT.secret, username: PLAIN_USER.username, password: PLAIN_USER.password },
    { clientAuth: 'body' },
    'No metadata',
  )
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input: plain }))
  const view = unwrap(await app.core.handlers.saveDatasource({ input: plain, testId }))
  const deleted = unwrap(await app.core.handlers.deleteDatasource({ id: view.id }))
  expect(deleted).toEqual({ id: view.id })
  expect(proxy.revocations).toBe(0)
})
