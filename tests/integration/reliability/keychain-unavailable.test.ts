/**
 * Keychain unavailable (issue 5, Secrets): no session bus, no answer from it, or a locked keyring.
 * The app must still start and list datasources, say why in getAppState (the renderer's banner),
 * refuse to save a secret with an explanation, write nothing in plaintext instead, and give up on a
 * silent keychain after a few seconds instead of hanging.
 * Two ways: a SecretStore that throws KeychainError (unavailable, locked) in this process; and the
 * real keytar store in a child process whose D-Bus address is dead or never answers (GLib keeps the
 * first bus connection for the life of a process, so a broken bus needs its own process).
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import type { Secret } from '../../../electron/core/secrets/secret'
import { KeychainError, type SecretStore } from '../../../electron/core/secrets/secret-store'
import type { DatasourceInput } from '../../../shared/datasource'
import { buildChildScript, type BuiltChild } from '../../support/child-build'
import { runChild } from '../../support/child-process'
import type { ProbeConfig, ProbeReport } from '../../support/core-child-config'
import { passwordForm, unwrap } from '../../support/core-harness'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

/** Every byte under `dir` (the database, its -wal/-shm, anything else the core wrote). */
function bytesUnder(dir: string): Buffer {
  const parts: Buffer[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    parts.push(statSync(path).isDirectory() ? bytesUnder(path) : readFileSync(path))
  }
  return Buffer.concat(parts)
}

/** A keychain that works until `failure` is set, then throws it on every call. */
class SwitchableSecretStore implements SecretStore {
  readonly memory = new MemorySecretStore()
  failure: KeychainError | null = null
  get = (account: string) => this.#run(() => this.memory.get(account))
  set = (account: string, value: Secret) => this.#run(() => this.memory.set(account, value))
  delete = (account: string) => this.#run(() => this.memory.delete(account))
  accounts = () => this.#run(() => this.memory.accounts())
  async #run<T>(call: () => Promise<T>): Promise<T> {
    if (this.failure) throw this.failure
    return call()
  }
}

let server: OAuthTestServer
beforeAll(async () => {
  server = await startOAuthServer()
})
afterAll(async () => {
  await server.close()
})

describe('with a keychain that throws', () => {
  let temp: ReturnType<typeof makeTempDir>
  let store: SwitchableSecretStore
  let core: Core
  const open = () => createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })

  beforeEach(async () => {
    temp = makeTempDir('dsd-nokeychain-')
    store = new SwitchableSecretStore()
    core = await open()
    const input = passwordForm(server)
    const testId = randomUUID()
    unwrap(await core.handlers.testConnection({ testId, input }))
    unwrap(await core.handlers.saveDatasource({ input, testId }))
    unwrap(await core.handlers.saveDatasource({ input: { name: 'Public', url: server.apiUrl, auth: { type: 'none' } } }))
    await core.close()
  })
  afterEach(async () => {
    await core.close()
    temp.cleanup()
  })

  it.each([
    ['unavailable', new KeychainError('The OS keychain is not available (list: Could not connect: No such file or directory)', 'unavailable'), /not available/],
    ['locked', new KeychainError('The OS keychain is locked (write: Cannot create an item in a locked collection)', 'locked'), /locked/],
  ] as const)('%s: starts, lists, explains, refuses secrets, and writes none in plaintext', async (_name, failure, words) => {
    store.failure = failure
    core = await open()

    const names = unwrap(await core.handlers.listDatasources({})).map((view) => view.name)
    expect(names).toEqual(['CRM', 'Public'])
    const state = unwrap(await core.handlers.getAppState({}))
    expect(state.keychainAvailable).toBe(false)
    expect(state.keychainMessage).toMatch(words)

    const clientSecret = `canary-client-secret-${randomUUID()}`
    const password = `canary-password-${randomUUID()}`
    const input: DatasourceInput = passwordForm(server, { clientSecret: { action: 'set', value: clientSecret }, password: { action: 'set', value: password } }, 'New')
    const refused = await core.handlers.saveDatasource({ input })
    expect(refused).toMatchObject({ ok: false, error: { kind: 'keychain', code: failure.code } })
    if (!refused.ok) {
      expect(refused.error.message).toMatch(/keychain/i)
      expect(refused.error.hint).toMatch(failure.code === 'locked' ? /unlock/i : /Nothing was saved in plain text/)
    }
    expect(unwrap(await core.handlers.listDatasources({})).map((view) => view.name)).toEqual(['CRM', 'Public'])

    // A datasource without secrets still saves; renewal of one with secrets says why it cannot.
    unwrap(await core.handlers.saveDatasource({ input: { name: 'Open data', url: server.apiUrl, auth: { type: 'none' } } }))
    const crm = unwrap(await core.handlers.listDatasources({})).find((view) => view.name === 'CRM')
    const renewed = unwrap(await core.handlers.renewNow({ id: crm?.id ?? '' }))
    expect(renewed.lastError).toMatchObject({ kind: 'keychain', code: failure.code })

    await core.close()
    const bytes = bytesUnder(temp.dir)
    expect(bytes.length).toBeGreaterThan(0)
    for (const secret of [clientSecret, password, CONFIDENTIAL_CLIENT.secret, TEST_USER.password]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false)
    }
  })
})

describe('with the real keytar store and a broken D-Bus session (child process)', () => {
  let built: BuiltChild
  let temp: ReturnType<typeof makeTempDir>
  let silentBus: Server
  const silentClients: Socket[] = []

  beforeAll(async () => {
    built = await buildChildScript('core-child')
    temp = makeTempDir('dsd-bus-')
    silentBus = createServer((socket) => silentClients.push(socket))
    await new Promise<void>((resolve) => silentBus.listen(join(temp.dir, 'silent.sock'), resolve))
  }, 60_000)
  afterAll(async () => {
    for (const socket of silentClients) socket.destroy()
    await new Promise<void>((resolve) => silentBus.close(() => resolve()))
    temp.cleanup()
    built.cleanup()
  })

  const KEYCHAIN_TIMEOUT_MS = 1_500

  async function probe(busAddress: string): Promise<{ report: ProbeReport; dataDir: string; canaries: string[] }> {
    const dataDir = join(temp.dir, randomUUID())
    const canaries = [`canary-client-secret-${randomUUID()}`, `canary-password-${randomUUID()}`]
    const config: ProbeConfig = {
      mode: 'probe',
      dataDir,
      keychainService: `datasource-desk-test-nobus-${randomUUID()}`,
      keychainTimeoutMs: KEYCHAIN_TIMEOUT_MS,
      tokenUrl: server.tokenUrl,
      apiUrl: server.apiUrl,
      credentials: { clientId: CONFIDENTIAL_CLIENT.id, clientSecret: canaries[0]!, username: TEST_USER.username, password: canaries[1]! },
    }
    const child = runChild(built.file, config, { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress })
    const line = await child.waitForLine((text) => text.startsWith('{'), 20_000)
    // A keychain call stuck on the silent bus holds a thread that keeps the child from exiting
    // until the bus hangs up; the report is in, so the child is stopped either way.
    for (const socket of silentClients.splice(0)) socket.destroy()
    const stopper = setTimeout(() => child.process.kill('SIGKILL'), 3_000)
    await child.exited
    clearTimeout(stopper)
    return { report: JSON.parse(line) as ProbeReport, dataDir, canaries }
  }

  function expectNoPlaintext(dataDir: string, canaries: ReadonlyArray<string>): void {
    const bytes = bytesUnder(dataDir)
    expect(bytes.length).toBeGreaterThan(0)
    for (const canary of canaries) expect(bytes.includes(Buffer.from(canary))).toBe(false)
  }

  it('no session bus: starts at once, says the keychain is not available, refuses the save', async () => {
    const { report, dataDir, canaries } = await probe(`unix:path=${join(temp.dir, 'no-such-bus.sock')}`)
    expect(report.startMs).toBeLessThan(5_000)
    expect(report.listed).toEqual([])
    expect(report.appState).toMatchObject({ keychainAvailable: false, keychainMessage: expect.stringMatching(/not available/) })
    expect(report.save).toMatchObject({ ok: false, kind: 'keychain', code: 'unavailable', hint: expect.stringMatching(/Nothing was saved in plain text/) })
    expectNoPlaintext(dataDir, canaries)
  }, 30_000)

  it('a bus that never answers: every keychain call gives up after its timeout instead of hanging', async () => {
    const { report, dataDir, canaries } = await probe(`unix:path=${join(temp.dir, 'silent.sock')}`)
    expect(report.startMs).toBeLessThan(5_000)
    expect(report.appState).toMatchObject({ keychainAvailable: false, keychainMessage: expect.stringMatching(/did not answer/) })
    // Bounded by the keychain timeout (calls queue behind the start-up sweep's, so up to three of them).
    expect(report.appStateMs).toBeLessThan(4 * KEYCHAIN_TIMEOUT_MS)
    expect(report.save).toMatchObject({ ok: false, kind: 'keychain', code: 'timeout' })
    expect(report.saveMs).toBeLessThan(4 * KEYCHAIN_TIMEOUT_MS)
    expectNoPlaintext(dataDir, canaries)
  }, 30_000)
})
