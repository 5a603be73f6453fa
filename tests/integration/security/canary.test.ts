/**
 * The secret canary test (issue 5, "Secrets"). The main journeys run through the core's IPC handler
 * table, with the real OS keychain (a throwaway keyring: run it with
 * `bash tests/support/with-keyring.sh npx vitest run tests/integration/security`) and a real OAuth
 * server on 127.0.0.1, using unique canary values for the client secret, the password, a wrong
 * password, and (minted by the server) every access and refresh token. Then each canary is
 * searched for, as bytes, in everything that is not the keychain: the SQLite database with its
 * -wal/-shm files (snapshotted along the way, since closing folds the WAL away), every file in the
 * data folder, everything logged (the core's logger and the console), every message to the
 * renderer (handler results and pushed events), every error and every history event. None may
 * hold one; and the keychain must, so that the search is known to be able to fail.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { format } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { systemClock, type CoreEvent, type Logger } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount, type SecretStore } from '../../../electron/core/secrets/secret-store'
import { storedSecret } from '../../support/stored-secrets'
import type { DatasourceInput } from '../../../shared/datasource'
import { asDatasourceId, type DatasourceId } from '../../../shared/ids'
import type { AppError, Result } from '../../../shared/errors'
import { ipcMethods, type HandlerTable, type IpcMethod } from '../../../shared/ipc'
import type { HistoryEvent } from '../../../shared/history'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'
import { ECHO_ROUTES, startHostileServer, type HostileServer } from '../../support/hostile-server'
import { basicForms, wireForms } from '../../../electron/core/oauth/redaction'
import { passwordFormFor } from '../../support/password-form'

// The client secret and passwords hold characters that every wire encoding changes (space, +, /,
// =, &, %, ~, quotes, backslash; non-ASCII in the password only, as the test server holds client
// secrets to VSCHAR), and each is searched for in every encoded form this client sends (issue 11,
// item 3): raw, form- and percent-encoded, JSON-escaped, and the Basic header's base64.
const run = randomUUID().replace(/-/g, '').slice(0, 12)
const CANARY = {
  clientSecret: `CanaryClientSecret${run} +/=&%~"\\`,
  password: `CanaryPassword${run} +/=&%~"\\ü`,
  wrongPassword: `CanaryWrongPassword${run} +/=&%~`,
  accessToken: `CanaryAccess${run}`,
  refreshToken: `CanaryRefresh${run}`,
}
// The server mints `<prefix>access-<hex>` and `<prefix>refresh-<hex>`.
const TOKEN_PREFIX = `CanaryToken${run}`

interface Sent {
  readonly channel: string
  readonly payload: unknown
}

let server: OAuthTestServer
let hostile: HostileServer
let temp: ReturnType<typeof makeTempDir>
let secretStore: SecretStore
let core: Core
let handlers: HandlerTable
const sentToRenderer: Sent[] = []
const errors: AppError[] = []
const historyEvents: HistoryEvent[] = []
const logLines: string[] = []
const databaseSnapshots: Buffer[] = []
const issuedTokens = new Set<string>()
const keychainSeen = new Map<string, string>()
let datasourceId = asDatasourceId('')

const logger: Logger = {
  info: (message, fields) => void logLines.push(format('info', message, fields ?? {})),
  warn: (message, fields) => void logLines.push(format('warn', message, fields ?? {})),
  error: (message, fields) => void logLines.push(format('error', message, fields ?? {})),
}

function notify(event: CoreEvent): void {
  // What main would push to the window (ipc) or show as an OS notification.
  sentToRenderer.push({ channel: event.type === 'ipc' ? `event:${event.name}` : 'notification', payload: event.type === 'ipc' ? event.payload : event })
}

async function openCore(): Promise<void> {
  core = await createCore({ dataDir: temp.dir, secretStore, fetch: globalThis.fetch, clock: systemClock, notify, logger })
  // Every answer a handler gives is what the renderer receives.
  handlers = Object.fromEntries(
    ipcMethods.map((method) => [
      method,
      async (payload: unknown) => {
        const result = (await (core.handlers[method] as (payload: unknown) => Promise<Result<unknown>>)(payload)) as Result<unknown>
        sentToRenderer.push({ channel: `api:${method}`, payload: result })
        if (!result.ok) errors.push(result.error)
        return result
      },
    ]),
  ) as unknown as HandlerTable
}

async function call<M extends IpcMethod>(method: M, payload: unknown): Promise<Result<unknown>> {
  return (handlers[method] as (payload: unknown) => Promise<Result<unknown>>)(payload)
}

async function expectOk<M extends IpcMethod>(method: M, payload: unknown): Promise<unknown> {
  const result = await call(method, payload)
  if (!result.ok) throw new Error(`${method} failed: ${result.error.kind}/${result.error.code}: ${result.error.message}`)
  return result.value
}

function snapshotDatabase(): void {
  const file = join(temp.dir, DATABASE_FILE)
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) databaseSnapshots.push(readFileSync(path))
}

/** Reads every secret the keychain holds for the datasource, and remembers the tokens issued. */
async function readKeychain(): Promise<void> {
  // Every entry of the datasource, not only the current ones: an old version left behind counts too.
  for (const account of await secretStore.accounts()) {
    const kind = parseSecretAccount(account)?.datasourceId === datasourceId ? parseSecretAccount(account)?.kind : undefined
    const value = kind ? (await secretStore.get(account))?.reveal() : undefined
    if (!kind || value === undefined) continue
    keychainSeen.set(`${kind}:${value}`, value)
    if (kind === 'access-token' || kind === 'refresh-token') issuedTokens.add(value)
  }
}

function form(overrides: Partial<Extract<DatasourceInput['auth'], { type: 'oauth2-password' }>> = {}, top: Partial<DatasourceInput> = {}): DatasourceInput {
  const credentials = { clientId: CONFIDENTIAL_CLIENT.id, clientSecret: CANARY.clientSecret, username: TEST_USER.username, password: CANARY.password }
  return { ...passwordFormFor(server, credentials, overrides, 'Canary CRM'), ...top }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Every canary, including the token values the server actually issued. */
function allCanaries(): string[] {
  return [...Object.values(CANARY), TOKEN_PREFIX, ...issuedTokens]
}

/** Each canary in every encoding it travels in (the Basic header's base64 for the client secret). */
function encodedForms(canary: string): string[] {
  return [canary, ...wireForms(canary), ...(canary === CANARY.clientSecret ? basicForms(CONFIDENTIAL_CLIENT.id, canary) : [])]
}

/** The canaries found in the bytes, in any of their encoded forms. */
function leaksIn(corpus: Buffer): string[] {
  return allCanaries().filter((canary) => encodedForms(canary).some((form) => corpus.includes(Buffer.from(form, 'utf8'))))
}

const asBytes = (values: ReadonlyArray<unknown>): Buffer => Buffer.from(values.map((value) => JSON.stringify(value) ?? String(value)).join('\n'), 'utf8')

describe('secret canaries', () => {
  beforeAll(async () => {
    server = await startOAuthServer({ tokenPrefix: TOKEN_PREFIX, confidentialClientSecret: CANARY.clientSecret, rotateRefreshTokens: true })
    server.setUserPassword(TEST_USER.username, CANARY.password)
    hostile = await startHostileServer()
    temp = makeTempDir('dsd-canary-')
    secretStore = createKeytarSecretStore(`datasource-desk-canary-${randomUUID()}`)
    const consoleCapture = (...args: unknown[]): void => void logLines.push(format(...args))
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation(consoleCapture)
    await openCore()

    // Create: test with the form's secrets, then save the tested token.
    const testId = randomUUID()
    await expectOk('testConnection', { testId, input: form() })
    const saved = (await expectOk('saveDatasource', { input: form(), testId })) as { id: DatasourceId; status: { token: unknown } }
    datasourceId = saved.id
    expect(saved.status.token).not.toBeNull()
    await readKeychain()
    snapshotDatabase()

    // Restart over the same folder and keychain.
    await core.close()
    await openCore()
    await expectOk('listDatasources', {})

    // Renew with the refresh token (the server rotates it).
    await expectOk('renewNow', { id: datasourceId })
    await readKeychain()
    snapshotDatabase()

    // Edit: a token-relevant change with the stored secrets kept, then test and save again.
    const edited = form({ scope: 'read write', clientSecret: { action: 'keep' }, password: { action: 'keep' } }, { id: datasourceId, name: 'Canary CRM (edited)' })
    await expectOk('saveDatasource', { input: edited })
    const editTestId = randomUUID()
    await expectOk('testConnection', { testId: editTestId, input: edited })
    await expectOk('saveDatasource', { input: edited, testId: editTestId })
    await readKeychain()
    snapshotDatabase()

    // A failing test: a wrong password typed into the form.
    const failed = await call('testConnection', { testId: randomUUID(), input: { ...edited, auth: { ...edited.auth, password: { action: 'set', value: CANARY.wrongPassword } } } })
    expect(failed).toMatchObject({ ok: false, error: { kind: 'oauth', code: 'invalid_grant' } })

    // Renewal that cannot succeed: the refresh token is revoked and the password changed on the
    // server, so both grants fail and the user is told (history, status event, notification).
    server.revokeRefreshTokens()
    server.setUserPassword(TEST_USER.username, `changed-on-the-server-${run}`)
    await call('renewNow', { id: datasourceId })
    snapshotDatabase()

    // Sign-in with the (again valid) password.
    server.setUserPassword(TEST_USER.username, CANARY.password)
    const wrongSignIn = await call('signIn', { id: datasourceId, password: CANARY.wrongPassword, remember: true })
    expect(wrongSignIn.ok).toBe(false)
    await expectOk('signIn', { id: datasourceId, password: CANARY.password, remember: true })
    await readKeychain()

    // Servers that echo the request's secrets in every encoding (issue 11, item 3): Test connection
    // with the form's secrets for each, then a saved datasource whose renewal goes to one, so the
    // echo reaches renewal state, history, status events and the notification.
    for (const route of ECHO_ROUTES) {
      for (const clientAuth of ['basic', 'basic-raw', 'body'] as const) {
        await call('testConnection', { testId: randomUUID(), input: form({ tokenUrl: hostile.url(route), clientAuth }) })
      }
    }
    const echoing = form(
      { tokenUrl: hostile.url('/echo/form-body'), clientSecret: { action: 'set', value: CANARY.clientSecret }, password: { action: 'set', value: CANARY.password } },
      { id: datasourceId, name: 'Canary CRM (edited)' },
    )
    await expectOk('saveDatasource', { input: echoing })
    await call('renewNow', { id: datasourceId })
    snapshotDatabase()
    const back = form({ clientSecret: { action: 'set', value: CANARY.clientSecret }, password: { action: 'set', value: CANARY.password } }, { id: datasourceId, name: 'Canary CRM (edited)' })
    await expectOk('saveDatasource', { input: back })

    // What the renderer reads.
    await expectOk('getDatasource', { id: datasourceId })
    await expectOk('getAppState', {})
    historyEvents.push(...((await expectOk('getHistory', { id: datasourceId })) as HistoryEvent[]))
    snapshotDatabase()
  }, 120_000)

  afterAll(async () => {
    vi.restoreAllMocks()
    await core?.close()
    for (const account of await secretStore.accounts().catch(() => [])) await secretStore.delete(account).catch(() => false)
    temp?.cleanup()
    await server?.close()
    await hostile?.close()
  })

  it('ran the journeys for real: tokens were issued, errors and history were produced', () => {
    expect([...issuedTokens].filter((token) => token.startsWith(`${TOKEN_PREFIX}access-`)).length).toBeGreaterThanOrEqual(3)
    expect([...issuedTokens].some((token) => token.startsWith(`${TOKEN_PREFIX}refresh-`))).toBe(true)
    expect(server.counts.refreshGrants).toBeGreaterThanOrEqual(2)
    expect(errors.map((error) => error.code)).toEqual(expect.arrayContaining(['invalid_grant']))
    expect(historyEvents.map((event) => event.kind)).toEqual(expect.arrayContaining(['obtained', 'renewed', 'config-changed']))
    expect(sentToRenderer.some((message) => message.channel === 'event:statusChanged')).toBe(true)
    expect(sentToRenderer.some((message) => message.channel === 'notification')).toBe(true)
    // The echo servers did answer with what they were sent (so their search below means something).
    for (const route of ECHO_ROUTES) expect(hostile.hits(route), route).toBeGreaterThanOrEqual(3)
    expect(errors.filter((error) => error.errorDescription === '[redacted: the server echoed a secret]').length).toBeGreaterThan(10)
  })

  it('keeps every canary in the keychain, where it belongs (so the search below can fail)', async () => {
    const stored = [...keychainSeen.values()]
    expect(stored).toEqual(expect.arrayContaining([CANARY.clientSecret, CANARY.password]))
    expect(stored.some((value) => value.startsWith(`${TOKEN_PREFIX}access-`))).toBe(true)
    expect(stored.some((value) => value.startsWith(`${TOKEN_PREFIX}refresh-`))).toBe(true)
    expect(await storedSecret(temp.dir, secretStore, datasourceId, 'password')).toBe(CANARY.password)
    // The same search does find a canary where one is: the test server's own request log.
    expect(leaksIn(asBytes(server.tokenRequestLog))).toEqual(expect.arrayContaining([CANARY.password, CANARY.wrongPassword]))
  })

  it('leaves no canary in the SQLite database or its -wal/-shm files', () => {
    expect(databaseSnapshots.length).toBeGreaterThanOrEqual(5)
    expect(databaseSnapshots.some((bytes) => bytes.includes(Buffer.from('Canary CRM (edited)')))).toBe(true)
    expect(leaksIn(Buffer.concat(databaseSnapshots))).toEqual([])
  })

  it('leaves no canary in any file of the data folder', () => {
    const files = filesUnder(temp.dir)
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(leaksIn(readFileSync(file)), file).toEqual([])
  })

  it('logs no canary', () => {
    expect(leaksIn(Buffer.from(logLines.join('\n'), 'utf8'))).toEqual([])
  })

  it('sends no canary to the renderer, in any answer or event', () => {
    expect(sentToRenderer.length).toBeGreaterThan(10)
    for (const message of sentToRenderer) expect(leaksIn(asBytes([message])), message.channel).toEqual([])
  })

  it('puts no canary in any error message', () => {
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(leaksIn(asBytes(errors))).toEqual([])
  })

  it('puts no canary in any history event', () => {
    expect(historyEvents.length).toBeGreaterThanOrEqual(4)
    expect(leaksIn(asBytes(historyEvents))).toEqual([])
  })

  it('removes every keychain entry when the datasource is deleted, and still leaks nothing', async () => {
    await expectOk('deleteDatasource', { id: datasourceId })
    expect((await secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === datasourceId)).toEqual([])
    snapshotDatabase()
    expect(leaksIn(Buffer.concat(databaseSnapshots))).toEqual([])
    expect(leaksIn(asBytes(sentToRenderer))).toEqual([])
  })
})
