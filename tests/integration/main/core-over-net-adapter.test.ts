/**
 * The whole core on the app's fetch: Test connection (token and API check), save and renewal go
 * through electron/main's adapter over the Electron net double to the real OAuth server, as they
 * do in the app over net.request.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createCore, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { createRequestFetch } from '../../../electron/core/request-fetch'
import { passwordForm, unwrap } from '../../support/core-harness'
import { createElectronNetDouble, type ElectronNetDouble } from '../../support/electron-net-fetch-double'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

let server: OAuthTestServer
let net: ElectronNetDouble
let core: Core
const temp = makeTempDir('dsd-net-core-')

beforeAll(async () => {
  server = await startOAuthServer()
  net = createElectronNetDouble()
  core = await createCore({
    dataDir: temp.dir,
    secretStore: new MemorySecretStore(),
    fetch: createRequestFetch((options) => net.request(options)),
    clock: systemClock,
    notify: () => {},
  })
})
afterAll(async () => {
  await core.close()
  net.close()
  await server.close()
  temp.cleanup()
})
afterEach(() => {
  expect(net.uncaughtErrors).toEqual([])
  expect(net.cookies.size).toBe(0)
})

it('tests, saves and renews a datasource through the adapter', async () => {
  const input = passwordForm(server)
  const testId = randomUUID()
  const report = unwrap(await core.handlers.testConnection({ testId, input }))
  expect(report.token?.tokenType.toLowerCase()).toBe('bearer')
  expect(report.apiCheck).toMatchObject({ method: 'GET', url: server.apiUrl, status: 200, statusText: 'OK' })
  const view = unwrap(await core.handlers.saveDatasource({ input, testId }))
  const grantsBefore = server.counts.passwordGrants + server.counts.refreshGrants
  await core.renewNow(view.id)
  expect(server.counts.passwordGrants + server.counts.refreshGrants).toBe(grantsBefore + 1)
})

it('reports a wrong password as the server said it, not as a network failure', async () => {
  const input = passwordForm(server, { password: { action: 'set', value: 'not the password' } })
  const report = await core.handlers.testConnection({ testId: randomUUID(), input })
  expect(report).toMatchObject({ ok: false, error: { kind: 'oauth', code: 'invalid_grant' } })
})
