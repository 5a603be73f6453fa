/**
 * Issue 12 item 5: the running app follows commits that other processes make to its SQLite file.
 * A core runs on the real clock while the built CLI adds, renews and removes a datasource in the
 * same data folder: the core schedules what the CLI added (and renews it itself), takes over the
 * CLI's renewal, and stops renewing what the CLI removed, telling the window each time.
 * Real keyring (with-keyring.sh), real OAuth server on 127.0.0.1.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CoreEvent } from '../../../electron/core/deps'
import type { TokenStatus } from '../../../shared/token'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { startCoreHarness, type CoreHarness } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, startOAuthServer, TEST_USER, type OAuthTestServer } from '../../support/oauth-server'

let server: OAuthTestServer
let app: CoreHarness

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
}, 120_000)

afterAll(async () => {
  await server?.close()
})

beforeEach(async () => {
  app = await startCoreHarness()
})

afterEach(async () => {
  server.setTokenLifetime(3600)
  await app.dispose()
})

function cli(args: string[], input?: string): Promise<CliResult> {
  return runCli(args, {
    env: { DATASOURCE_DESK_DATA_DIR: app.dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: app.keychainService },
    ...(input === undefined ? {} : { input }),
  })
}

async function cliAdd(name: string): Promise<string> {
  const added = await cli(
    ['add', name, '--token-url', server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'],
    `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`,
  )
  expect(added.code, added.stderr).toBe(0)
  const list = JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ id: string; name: string }>
  const id = list.find((entry) => entry.name === name)?.id
  if (!id) throw new Error(`"${name}" not listed after add`)
  return id
}

/** Polls (real time) until `check` holds; generous, since the machine is shared. */
async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

function statusEvents(id: string): TokenStatus[] {
  return app.events.flatMap((event: CoreEvent) => (event.type === 'ipc' && event.name === 'statusChanged' && (event.payload as TokenStatus).datasourceId === id ? [event.payload as TokenStatus] : []))
}

function listChanged(id: string): boolean {
  return app.events.some((event) => event.type === 'ipc' && event.name === 'datasourcesChanged' && (event.payload as { ids: string[] }).ids.includes(id))
}

describe('the running core follows the CLI', () => {
  it('schedules and renews a datasource the CLI added, and tells the window', async () => {
    server.setTokenLifetime(2)
    const id = await cliAdd('added-elsewhere')
    const added = await app.core.handlers.getDatasource({ id })
    const obtainedByCli = added.ok ? (added.value.status.token?.obtainedAt ?? 0) : 0
    expect(obtainedByCli).toBeGreaterThan(0)

    await eventually(() => listChanged(id), 'the list-changed event for the added datasource')
    server.resetCounts()
    // The CLI has exited: only the core can renew the 2 s token.
    await eventually(() => server.counts.refreshGrants + server.counts.passwordGrants > 0, "the core's renewal request")
    await eventually(() => statusEvents(id).some((status) => status.state === 'idle' && (status.token?.obtainedAt ?? 0) > obtainedByCli), 'a status event with the renewed token')
  }, 60_000)

  it('takes over a renewal the CLI made, and stops renewing what the CLI removed', async () => {
    const id = await cliAdd('renewed-elsewhere')
    // The list reads SQLite; the scheduler holding it is what says the core follows.
    const scheduled = () => app.core.service.scheduler.status(id)
    await eventually(() => scheduled() !== undefined && listChanged(id), 'the added datasource in the scheduler')
    const before = scheduled()!.token!

    const renewed = await cli(['renew', 'renewed-elsewhere'])
    expect(renewed.code, renewed.stderr).toBe(0)
    const isNewer = (status: TokenStatus | undefined) => (status?.token?.obtainedAt ?? 0) > before.obtainedAt
    await eventually(() => isNewer(scheduled()) && statusEvents(id).some(isNewer), "the CLI's renewal in the scheduler and a status event")
    expect(scheduled()?.state).toBe('idle')

    server.setTokenLifetime(2)
    const shortLived = await cli(['renew', 'renewed-elsewhere'])
    expect(shortLived.code, shortLived.stderr).toBe(0)
    const listEventsBefore = app.events.filter((event) => event.type === 'ipc' && event.name === 'datasourcesChanged').length
    const removed = await cli(['remove', 'renewed-elsewhere', '--yes'])
    expect(removed.code, removed.stderr).toBe(0)
    await eventually(() => scheduled() === undefined, 'the removal in the scheduler')
    expect(app.events.filter((event) => event.type === 'ipc' && event.name === 'datasourcesChanged').length).toBeGreaterThan(listEventsBefore)
    server.resetCounts()
    // Past the 2 s token's renewal time: a core still scheduling it would have asked by now.
    await sleep(4_000)
    expect(server.counts.tokenRequests).toBe(0)
  }, 60_000)
})
