/**
 * Issue 6, "Working beside a running app": the core in this process (as the app runs it) and the
 * built command in a child process renew the same expired token at the same moment, against a
 * server that rotates refresh tokens. A proxy holds the first process's refresh request until the
 * second one is renewing too, so the overlap is made, not hoped for. The cross-process lease must
 * let exactly one refresh request through, and both must end with the same valid token.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, beforeEach, afterAll, describe, expect, it } from 'vitest'
import type { Clock } from '../../../electron/core/deps'
import { ensureCliBuilt, runCli } from '../../support/cli-runner'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { startHoldingProxy, type HoldingProxy } from '../../support/holding-proxy'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { storedSecret } from '../../support/stored-secrets'
import { requireKeyringSession } from '../../support/keyring-session'
import type { DatasourceId } from '../../../shared/ids'

/** Real time, but timers that never fire: the core in this process renews only when told to. */
const heldTimers: Clock = { now: () => Date.now(), setTimeout: () => null, clearTimeout: () => {} }

let server: OAuthTestServer
let proxy: HoldingProxy
let app: CoreHarness
let id: DatasourceId

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
}, 120_000)

afterAll(async () => {
  await server?.close()
})

beforeEach(async () => {
  proxy = await startHoldingProxy(server.tokenUrl)
  proxy.release()
  app = await startCoreHarness({ clock: heldTimers })
  // A token that lives one second, saved by the core as the app's Save would.
  server.setTokenLifetime(1)
  const input = passwordForm(server, { tokenUrl: proxy.tokenUrl })
  const testId = randomUUID()
  unwrap(await app.core.handlers.testConnection({ testId, input }))
  id = unwrap(await app.core.handlers.saveDatasource({ input, testId })).id
  await sleep(1_200)
  server.setTokenLifetime(3600)
  server.resetCounts()
  proxy.hold()
})

afterEach(async () => {
  proxy.release()
  await app.dispose()
  await proxy.close()
})

function command(args: ReadonlyArray<string>) {
  return runCli(args, { env: { DATASOURCE_DESK_DATA_DIR: app.dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: app.keychainService } })
}

async function storedAccessToken(): Promise<string | undefined> {
  return (await storedSecret(app.dataDir, app.secretStore, id, 'access-token')) ?? undefined
}

async function expectOneRefreshAndTheSameValidToken(cliToken: string | null): Promise<void> {
  expect(server.counts.tokenRequests).toBe(1)
  expect(server.counts.refreshGrants).toBe(1)
  expect(server.counts.passwordGrants).toBe(0)
  const stored = await storedAccessToken()
  if (cliToken !== null) expect(cliToken).toBe(stored)
  const view = unwrap(app.core.service.get(id))
  expect(view.status.state).toBe('idle')
  expect(view.status.token?.expiresAt ?? 0).toBeGreaterThan(Date.now() + 3_000_000)
  expect((await fetch(server.apiUrl, { headers: { authorization: `Bearer ${stored}` } })).status).toBe(200)
  // The rotated refresh token both processes now rely on is alive: the next refresh works.
  server.resetCounts()
  const next = await app.core.service.renewNow(id)
  expect(next).toMatchObject({ ok: true, value: { state: 'idle' } })
  expect(server.counts.refreshGrants).toBe(1)
  expect(server.counts.passwordGrants).toBe(0)
}

describe('renewal across processes (app core and command)', () => {
  it('the command waits for the renewal the core started, and prints the token the core got', async () => {
    const coreRenewal = app.core.service.renewNow(id)
    await proxy.waitForArrivals(1)
    const cli = command(['token', 'CRM'])
    // The core's refresh is held while the command starts and finds the token expired; it then
    // waits for the core's lease. (Were it slower than this, it would find a fresh token instead:
    // still one request.)
    await sleep(1_500)
    proxy.release()
    const [coreResult, cliResult] = await Promise.all([coreRenewal, cli])
    expect(coreResult.ok).toBe(true)
    expect(cliResult.stderr).toBe('')
    expect(cliResult.code).toBe(0)
    expect(cliResult.stdout).toMatch(/^\S+\n$/)
    await expectOneRefreshAndTheSameValidToken(cliResult.stdout.trim())
  })

  it('the core waits for the renewal the command started, and uses the token the command got', async () => {
    const cli = command(['token', 'crm'])
    // The command holds the lease once its refresh request reaches the proxy.
    await proxy.waitForArrivals(1)
    // renewNow tries the lease before it returns its promise: the core is now waiting for it.
    const coreRenewal = app.core.service.renewNow(id)
    proxy.release()
    const [cliResult, coreResult] = await Promise.all([cli, coreRenewal])
    expect(cliResult.code).toBe(0)
    expect(coreResult.ok).toBe(true)
    await expectOneRefreshAndTheSameValidToken(cliResult.stdout.trim())
  })

  it('renew from the command and the core together also send one refresh request', async () => {
    const cli = command(['renew', 'crm'])
    await proxy.waitForArrivals(1)
    const coreRenewal = app.core.service.renewNow(id)
    proxy.release()
    const [cliResult, coreResult] = await Promise.all([cli, coreRenewal])
    expect(cliResult.code).toBe(0)
    expect(cliResult.stdout).toMatch(/^Renewed "CRM": Valid until /)
    expect(coreResult.ok).toBe(true)
    await expectOneRefreshAndTheSameValidToken(null)
  })
})
