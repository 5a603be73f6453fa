/**
 * An in-memory `window.api` for renderer tests. It validates every payload with the real IPC
 * contract (so a renderer that sends the wrong shape fails its tests the way it would fail against
 * the main process), records every call, and lets a test decide how Test connection ends.
 */
import type { AuthView, DatasourceView, DiscoveredServer, SecretInput } from '../../shared/datasource'
import type { AppError, Result } from '../../shared/errors'
import { asDatasourceId, type DatasourceId } from '../../shared/ids'
import type { RevocationReport } from '../../shared/revocation'
import { ipcContract, type DatasourceApi, type IpcEventName, type IpcEvents, type IpcMethod, type IpcPayload, type IpcResults } from '../../shared/ipc'
import type { ExportReceipt, ImportPreview, ImportReport } from '../../shared/import-export'
import type { AppState } from '../../shared/app-state'
import type { ClientAuthNegotiation, TestReport } from '../../shared/connection-test'
import type { DeleteReport } from '../../shared/delete-report'
import type { HistoryEvent } from '../../shared/history'
import type { IntrospectionReport } from '../../shared/introspection'
import type { CopyFormat, CopyReceipt, TokenDetails } from '../../shared/token-actions'
import { notConnected, type TokenMeta, type TokenStatus } from '../../shared/token'

export interface RecordedCall {
  readonly method: IpcMethod
  readonly payload: unknown
}

/** How the next Test connection ends: a report, an error, or hanging until cancelled. */
export type TestBehaviour =
  | { readonly kind: 'success'; readonly report?: Partial<Omit<TestReport, 'testId'>> }
  | { readonly kind: 'failure'; readonly error: AppError }
  | { readonly kind: 'hang' }

const ok = <T>(value: T): Result<T> => ({ ok: true, value })
const fail = <T>(error: AppError): Result<T> => ({ ok: false, error })

let idCounter = 0
/** Deterministic UUID v4-shaped ids, accepted by the contract's uuid schema. */
export function fakeId(): DatasourceId {
  idCounter += 1
  return asDatasourceId(`00000000-0000-4000-8000-${idCounter.toString(16).padStart(12, '0')}`)
}

export function tokenMeta(overrides: Partial<TokenMeta> = {}, now = Date.now()): TokenMeta {
  return {
    tokenType: 'Bearer',
    grantedScope: null,
    requestedScope: '',
    obtainedAt: now,
    expiresAt: now + 3_600_000,
    hasRefreshToken: true,
    ...overrides,
  }
}

export function tokenStatus(datasourceId: string, overrides: Partial<TokenStatus> = {}, now = Date.now()): TokenStatus {
  return { ...notConnected(datasourceId, now), ...overrides }
}

/** A saved OAuth2 datasource view with sensible defaults, for seeding the fake. */
export function datasourceView(overrides: Partial<Omit<DatasourceView, 'auth'>> & { auth?: AuthView } = {}, now = Date.now()): DatasourceView {
  const id = overrides.id ?? fakeId()
  return {
    id,
    name: 'CRM',
    url: 'https://api.example.com/v1',
    auth: {
      type: 'oauth2-password',
      tokenUrl: 'https://auth.example.com/oauth/token',
      clientId: 'desk',
      clientAuth: 'basic',
      username: 'ada',
      rememberPassword: true,
      scope: 'read',
      extraParams: [],
      hasClientSecret: true,
      hasPassword: true,
    },
    status: tokenStatus(id, {}, now),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  }
}

function hasSecret(input: SecretInput, previous: boolean): boolean {
  return input.action === 'keep' ? previous : input.value !== ''
}

export class FakeApi implements DatasourceApi {
  readonly calls: RecordedCall[] = []
  readonly datasources = new Map<string, DatasourceView>()
  readonly history = new Map<string, HistoryEvent[]>()
  appState: AppState = { keychainAvailable: true, dataDir: '/tmp/fake' }
  testBehaviour: TestBehaviour = { kind: 'success' }
  /** Set to make every call of a method fail with this error. */
  readonly failures = new Map<IpcMethod, AppError>()
  private readonly listeners = new Map<IpcEventName, Set<(payload: never) => void>>()
  private readonly pendingTests = new Map<string, (result: Result<TestReport>) => void>()
  private readonly successfulTests = new Map<string, TestReport>()

  constructor(private readonly now: () => number = Date.now) {}

  seed(...views: DatasourceView[]): this {
    for (const view of views) this.datasources.set(view.id, view)
    return this
  }

  callsOf(method: IpcMethod): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.payload)
  }

  /** Pushes an event as the main process would. */
  emit<E extends IpcEventName>(event: E, payload: IpcEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (payload: IpcEvents[E]) => void)(payload)
  }

  listenerCount(event: IpcEventName): number {
    return this.listeners.get(event)?.size ?? 0
  }

  readonly on = <E extends IpcEventName>(event: E, listener: (payload: IpcEvents[E]) => void): (() => void) => {
    const set = this.listeners.get(event) ?? new Set()
    set.add(listener as (payload: never) => void)
    this.listeners.set(event, set)
    return () => set.delete(listener as (payload: never) => void)
  }

  /** Records the call and checks its payload against the contract, as the main process does. */
  private enter<M extends IpcMethod>(method: M, payload: unknown): Result<never> | null {
    this.calls.push({ method, payload })
    const failure = this.failures.get(method)
    if (failure) return fail(failure)
    const parsed = ipcContract[method].payload.safeParse(payload)
    if (parsed.success) return null
    return fail({
      kind: 'validation',
      code: 'invalid-input',
      message: 'Some fields need attention',
      fieldIssues: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.').replace(/^input\./, ''),
        message: issue.message,
      })),
    })
  }

  private notFound<T>(): Result<T> {
    return fail({ kind: 'not-found', code: 'datasource-not-found', message: 'This datasource no longer exists.' })
  }

  async listDatasources(payload: Record<string, never>): Promise<Result<IpcResults['listDatasources']>> {
    return this.enter('listDatasources', payload) ?? ok([...this.datasources.values()])
  }

  async getDatasource(payload: { id: string }): Promise<Result<DatasourceView>> {
    const refused = this.enter('getDatasource', payload)
    if (refused) return refused
    const view = this.datasources.get(payload.id)
    return view ? ok(view) : this.notFound()
  }

  async testConnection(payload: IpcPayload<'testConnection'>): Promise<Result<TestReport>> {
    const refused = this.enter('testConnection', payload)
    if (refused) return refused
    const behaviour = this.testBehaviour
    if (behaviour.kind === 'failure') return fail(behaviour.error)
    if (behaviour.kind === 'hang') return new Promise((resolve) => this.pendingTests.set(payload.testId, resolve))
    const auth = payload.input.auth
    const report: TestReport = {
      testId: payload.testId,
      token: auth.type === 'none' ? null : tokenMeta({ requestedScope: auth.scope }, this.now()),
      scopeDiffers: false,
      apiCheck: payload.input.url ? { method: 'GET', url: payload.input.url, status: 200, statusText: 'OK' } : null,
      ...behaviour.report,
    }
    this.successfulTests.set(payload.testId, report)
    return ok(report)
  }

  async cancelTest(payload: { testId: string }): Promise<Result<{ readonly cancelled: boolean }>> {
    const refused = this.enter('cancelTest', payload)
    if (refused) return refused
    const pending = this.pendingTests.get(payload.testId)
    this.pendingTests.delete(payload.testId)
    pending?.(fail({ kind: 'cancelled', code: 'cancelled', message: 'The test was cancelled.' }))
    return ok({ cancelled: pending !== undefined })
  }

  /** The next tryOtherClientAuth answer (default: no method accepted). */
  negotiation: ClientAuthNegotiation = { accepted: null, attempts: [], report: null }

  async tryOtherClientAuth(payload: IpcPayload<'tryOtherClientAuth'>): Promise<Result<ClientAuthNegotiation>> {
    const refused = this.enter('tryOtherClientAuth', payload)
    if (refused) return refused
    return ok(this.negotiation)
  }

  /** The next discoverIssuer answer. */
  discovery: Result<DiscoveredServer> = fail({ kind: 'invalid-response', code: 'no-metadata', message: 'No authorization server metadata was found.' })

  async discoverIssuer(payload: { issuer: string }): Promise<Result<DiscoveredServer>> {
    return this.enter('discoverIssuer', payload) ?? this.discovery
  }

  async saveDatasource(payload: IpcPayload<'saveDatasource'>): Promise<Result<DatasourceView>> {
    const refused = this.enter('saveDatasource', payload)
    if (refused) return refused
    const { input, testId } = payload
    const previous = input.id ? this.datasources.get(input.id) : undefined
    if (input.id && !previous) return this.notFound()
    const name = input.name.trim()
    const taken = [...this.datasources.values()].some((view) => view.id !== input.id && view.name.toLowerCase() === name.toLowerCase())
    if (taken) return fail({ kind: 'conflict', code: 'name-taken', message: `A datasource named “${name}” already exists.` })
    const id = input.id ? asDatasourceId(input.id) : fakeId()
    const now = this.now()
    const previousAuth = previous?.auth.type === 'oauth2-password' ? previous.auth : null
    const auth: AuthView =
      input.auth.type === 'none'
        ? { type: 'none' }
        : {
            type: 'oauth2-password',
            tokenUrl: input.auth.tokenUrl,
            clientId: input.auth.clientId,
            clientAuth: input.auth.clientAuth,
            username: input.auth.username,
            rememberPassword: input.auth.rememberPassword,
            scope: input.auth.scope,
            extraParams: input.auth.extraParams,
            hasClientSecret: hasSecret(input.auth.clientSecret, previousAuth?.hasClientSecret ?? false),
            hasPassword: hasSecret(input.auth.password, previousAuth?.hasPassword ?? false),
          }
    const tested = testId ? this.successfulTests.get(testId) : undefined
    const status = tested?.token ? tokenStatus(id, { token: tested.token, updatedAt: now }, now) : (previous?.status ?? notConnected(id, now))
    const view: DatasourceView = { id, name, url: input.url, auth, status, createdAt: previous?.createdAt ?? now, updatedAt: now }
    this.datasources.set(id, view)
    return ok(view)
  }

  /** What the core says it revoked at the server on delete (RFC 7009); null: nothing to revoke. */
  revocationOnDelete: RevocationReport | null = null

  async deleteDatasource(payload: { id: string }): Promise<Result<DeleteReport>> {
    const refused = this.enter('deleteDatasource', payload)
    if (refused) return refused
    if (!this.datasources.delete(payload.id)) return this.notFound()
    return ok({ id: payload.id, ...(this.revocationOnDelete ? { revocation: this.revocationOnDelete } : {}) })
  }

  async renewNow(payload: { id: string }): Promise<Result<TokenStatus>> {
    const refused = this.enter('renewNow', payload)
    if (refused) return refused
    const view = this.datasources.get(payload.id)
    if (!view) return this.notFound()
    const now = this.now()
    const status = tokenStatus(view.id, { token: tokenMeta({}, now), updatedAt: now }, now)
    this.datasources.set(view.id, { ...view, status })
    return ok(status)
  }

  async signIn(payload: { id: string; password: string; remember: boolean }): Promise<Result<TokenStatus>> {
    const refused = this.enter('signIn', payload)
    if (refused) return refused
    if (payload.password === 'wrong') {
      return fail({ kind: 'oauth', code: 'invalid_grant', message: 'The username or password was not accepted.', httpStatus: 400 })
    }
    return this.renewNow({ id: payload.id })
  }

  async getHistory(payload: { id: string }): Promise<Result<ReadonlyArray<HistoryEvent>>> {
    return this.enter('getHistory', payload) ?? ok(this.history.get(payload.id) ?? [])
  }

  async getAppState(payload: Record<string, never>): Promise<Result<AppState>> {
    return this.enter('getAppState', payload) ?? ok(this.appState)
  }

  /** What the main process would have put on the clipboard; the renderer only gets a receipt. */
  readonly copied: Array<{ id: string; format: CopyFormat }> = []
  tokenDetails: TokenDetails = { jwt: null, introspection: null }
  /** What the server says on "Check at the server" (RFC 7662), as main would pass it on. */
  introspection: Result<IntrospectionReport> = fail({ kind: 'validation', code: 'no-introspection', message: 'This server advertises no token introspection (RFC 7662) for this token URL.' })

  async copyToken(payload: { id: string; format: CopyFormat }): Promise<Result<CopyReceipt>> {
    const refused = this.enter('copyToken', payload)
    if (refused) return refused
    const view = this.datasources.get(payload.id)
    if (!view) return this.notFound()
    this.copied.push(payload)
    return ok({ format: payload.format, clearsAt: this.now() + 60_000, expiresAt: view.status.token?.expiresAt ?? null })
  }

  async getTokenDetails(payload: { id: string }): Promise<Result<TokenDetails>> {
    const refused = this.enter('getTokenDetails', payload)
    if (refused) return refused
    return this.datasources.has(payload.id) ? ok(this.tokenDetails) : this.notFound()
  }

  async introspectToken(payload: { id: string }): Promise<Result<IntrospectionReport>> {
    const refused = this.enter('introspectToken', payload)
    if (refused) return refused
    return this.datasources.has(payload.id) ? this.introspection : this.notFound()
  }

  async clearToken(payload: { id: string }): Promise<Result<TokenStatus>> {
    const refused = this.enter('clearToken', payload)
    if (refused) return refused
    const view = this.datasources.get(payload.id)
    if (!view) return this.notFound()
    const status = notConnected(view.id, this.now())
    this.datasources.set(view.id, { ...view, status })
    return ok(status)
  }

  /** What the next import answers; a test sets it (the real all-or-nothing import is tested on the core). */
  importResult: Result<IpcResults['importDatasources']> = ok({ imported: [] })

  async importDatasources(payload: { text: string; replace?: boolean | undefined; keepSecretsForNewOrigin?: boolean | undefined }): Promise<Result<IpcResults['importDatasources']>> {
    return this.enter('importDatasources', payload) ?? this.importResult
  }

  async exportDatasources(payload: { ids?: string[] | undefined }): Promise<Result<IpcResults['exportDatasources']>> {
    const refused = this.enter('exportDatasources', payload)
    if (refused) return refused
    const views = [...this.datasources.values()].filter((view) => !payload.ids || payload.ids.includes(view.id))
    return ok({ text: `${JSON.stringify({ format: 'datasource-desk/datasources', version: 1, datasources: views.map(({ name, url }) => ({ name, url, auth: { type: 'none' } })) }, null, 2)}\n` })
  }

  /** The next export, preview and import answers (the renderer's unit tests steer them). */
  exportReceipt: ExportReceipt = { saved: false }
  importPreview: ImportPreview = { chosen: false }
  importReport: ImportReport = { added: [], replaced: [], skipped: [], needSecrets: [] }

  async exportToFile(payload: { ids?: string[] }): Promise<Result<ExportReceipt>> {
    return this.enter('exportToFile', payload) ?? ok(this.exportReceipt)
  }

  async previewImport(payload: Record<string, never>): Promise<Result<ImportPreview>> {
    return this.enter('previewImport', payload) ?? ok(this.importPreview)
  }

  async applyImport(payload: { importId: string; replaceExisting: boolean }): Promise<Result<ImportReport>> {
    return this.enter('applyImport', payload) ?? ok(this.importReport)
  }
}
