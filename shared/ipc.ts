/**
 * The IPC contract, declared once. Each method names its payload schema (validated at runtime in
 * the main process) and its result type; the preload, the main-process registration, the renderer's
 * api and the e2e harness are all derived from this table. Results are `Result`s: handlers never
 * throw across IPC (Electron would keep only the message).
 */
import { z } from 'zod'
import { datasourceIdSchema, datasourceInputSchema, LIMITS, secretValueSchema, type DatasourceView, type DiscoveredServer } from './datasource'
import type { ClientAuthMethod } from './client-auth'
import type { AppError, Result } from './errors'
import type { RevocationReport } from './revocation'
import type { TokenMeta, TokenStatus } from './token'

export const COPY_FORMATS = ['access-token', 'authorization-header', 'curl'] as const
export type CopyFormat = (typeof COPY_FORMATS)[number]

/** A test run is named by the renderer so that it can cancel it and later save its token. */
const testIdSchema = z.string().uuid({ error: 'Not a test id' })
const idPayload = z.object({ id: datasourceIdSchema }).strict()
/** An export of thousands of datasources is well under this. */
export const IMPORT_TEXT_LIMIT = 16 * 1024 * 1024

/**
 * What Delete did. The datasource is always gone; `secretsLeft` names the keychain entries the
 * keychain did not delete (it was locked, gone or silent): the start-up sweep retries them.
 */
export interface DeleteReport {
  readonly id: string
  readonly secretsLeft?: ReadonlyArray<'client-secret' | 'password' | 'access-token' | 'refresh-token'>
  /**
   * What revoking the tokens at the server (RFC 7009) did, after the datasource was removed;
   * absent when the server advertised no revocation endpoint or no token was stored.
   */
  readonly revocation?: RevocationReport
}

export const ipcContract = {
  listDatasources: { payload: z.object({}).strict() },
  getDatasource: { payload: idPayload },
  testConnection: { payload: z.object({ testId: testIdSchema, input: datasourceInputSchema }).strict() },
  cancelTest: { payload: z.object({ testId: testIdSchema }).strict() },
  /** Discovery (RFC 8414 / OIDC) from an issuer URL: what the server advertises. */
  discoverIssuer: { payload: z.object({ issuer: z.string().trim().min(1, { error: 'Enter the issuer URL' }).max(LIMITS.url) }).strict() },
  /** After invalid_client: one attempt with each other client authentication method, same token URL. */
  tryOtherClientAuth: { payload: z.object({ testId: testIdSchema, input: datasourceInputSchema }).strict() },
  saveDatasource: { payload: z.object({ input: datasourceInputSchema, testId: testIdSchema.optional() }).strict() },
  deleteDatasource: { payload: idPayload },
  renewNow: { payload: idPayload },
  signIn: {
    payload: z
      .object({ id: datasourceIdSchema, password: secretValueSchema.min(1, { error: 'Enter the password' }).max(LIMITS.secret), remember: z.boolean() })
      .strict(),
  },
  getHistory: { payload: idPayload },
  getAppState: { payload: z.object({}).strict() },
  /** The main process copies the stored token to the clipboard; the renderer never sees it. */
  copyToken: { payload: z.object({ id: datasourceIdSchema, format: z.enum(COPY_FORMATS, { error: 'Not a copy format' }) }).strict() },
  /** The decoded JWT header and claims of the stored token (never the token or its signature). */
  getTokenDetails: { payload: idPayload },
  /** Forgets the stored token (keychain and metadata); renewal stops until a new one is obtained. */
  clearToken: { payload: idPayload },
  /**
   * Imports an export file (its text) all or nothing: the whole file is checked first, then every
   * datasource is saved in one transaction. `replace` updates datasources of the same name (their
   * secrets are kept); `keepSecretsForNewOrigin` lets kept secrets go to a new token URL origin.
   */
  importDatasources: {
    payload: z
      .object({ text: z.string().max(IMPORT_TEXT_LIMIT, { error: 'The file is too large to be an export' }), replace: z.boolean().optional(), keepSecretsForNewOrigin: z.boolean().optional() })
      .strict(),
  },
  /** The export file's text for these datasources (all when `ids` is absent): configuration only, never a secret. */
  exportDatasources: { payload: z.object({ ids: z.array(datasourceIdSchema).max(10_000).optional() }).strict() },
  /** The window's Export: main asks where (its save dialog) and the core writes the file; the page never names a path. */
  exportToFile: { payload: z.object({ ids: z.array(datasourceIdSchema).min(1).max(10_000).optional() }).strict() },
  /** The window's Import: main asks which file (its open dialog); the core checks all of it and answers with what Import would do. */
  previewImport: { payload: z.object({}).strict() },
  /** Imports what a preview showed, all or nothing; existing datasources are replaced only when asked. */
  applyImport: { payload: z.object({ importId: z.string().uuid({ error: 'Not an import id' }), replaceExisting: z.boolean() }).strict() },
} as const

/** The GET request Test connection makes to the datasource URL with the new token. */
export interface ApiCheck {
  readonly method: 'GET'
  readonly url: string
  readonly status?: number
  readonly statusText?: string
  /** Set when the request itself failed (network, TLS, timeout). */
  readonly error?: AppError
  /**
   * The API answered 401 to the first token although it looked valid: the app got a new token
   * once and asked again. `status`/`error` above are then the second answer; `renewError` says
   * why no new token came (and the request was not repeated).
   */
  readonly retriedAfter401?: { readonly renewError?: AppError }
}

export interface TestReport {
  readonly testId: string
  /** Metadata of the token obtained (null for a datasource without authentication); the token
   * itself stays in the main process until Save. */
  readonly token: TokenMeta | null
  /** True when the server granted a different scope than was requested. */
  readonly scopeDiffers: boolean
  readonly apiCheck: ApiCheck | null
}

/** What trying the other client authentication methods found. */
export interface ClientAuthNegotiation {
  /** The method the server issued a token for; null when it accepted none. */
  readonly accepted: ClientAuthMethod | null
  /** Each method tried, in order, with the error for the refused ones. */
  readonly attempts: ReadonlyArray<{ readonly method: ClientAuthMethod; readonly error?: AppError }>
  /** Test connection's report for the accepted method: its token is kept for Save under the same test id. */
  readonly report: TestReport | null
}

export type HistoryKind = 'obtained' | 'renewed' | 'failed' | 'config-changed' | 'sign-in-needed' | 'action-needed'

export interface HistoryEvent {
  readonly id: number
  readonly datasourceId: string
  readonly at: number
  readonly kind: HistoryKind
  /** One readable line, never a secret. */
  readonly message: string
  readonly grant?: 'password' | 'refresh_token'
  readonly attempt?: number
  readonly error?: AppError
}

export interface CopyReceipt {
  readonly format: CopyFormat
  /** When the clipboard is cleared, unless something else was copied meanwhile. */
  readonly clearsAt: number
  /** The copied token's expiry, so the window can say how long the copy is good for. */
  readonly expiresAt: number | null
}

export type JwtClaimValue = string | number | boolean | ReadonlyArray<string>

export interface JwtDetails {
  /** alg, typ, kid: as the token says, cleaned of control characters. */
  readonly header: Readonly<Record<string, JwtClaimValue>>
  /** iss, sub, aud, scope/scp, exp, iat, nbf, client_id, where present. */
  readonly claims: Readonly<Record<string, JwtClaimValue>>
}

export interface TokenDetails {
  /** null: the token is opaque (not a JWT), which is common and fine. */
  readonly jwt: JwtDetails | null
}

/** What Export did: nothing when the user cancelled the save dialog. */
export type ExportReceipt = { readonly saved: false } | { readonly saved: true; readonly path: string; readonly count: number }

export interface ImportPreviewEntry {
  readonly name: string
  /** add: a new datasource; replace: its settings overwrite the existing one of that name; unchanged: the same settings are stored already. */
  readonly action: 'add' | 'replace' | 'unchanged'
  readonly existingId?: string
  /** The token URL's host ('' for a datasource without authentication). */
  readonly tokenHost: string
  readonly username: string
  /** The datasource will have no client secret or password to sign in with: the user enters them after import. */
  readonly needsSecrets: boolean
  /** Replacing moves the token URL to another origin: the stored client secret and password are dropped, not sent there. */
  readonly secretsDropped: boolean
}

/** What Import would do with the chosen file; nothing is stored until applyImport. */
export type ImportPreview =
  | { readonly chosen: false }
  | { readonly chosen: true; readonly importId: string; readonly fileName: string; readonly entries: ReadonlyArray<ImportPreviewEntry> }

export interface ImportReport {
  readonly added: ReadonlyArray<{ readonly id: string; readonly name: string }>
  readonly replaced: ReadonlyArray<{ readonly id: string; readonly name: string }>
  /** Existing datasources left as they were: the same settings, or the user chose not to replace them. */
  readonly skipped: ReadonlyArray<string>
  /** Imported datasources that need their client secret and/or password entered in Settings. */
  readonly needSecrets: ReadonlyArray<{ readonly id: string; readonly name: string }>
}

export interface AppState {
  /** False when the OS keychain cannot be reached; the UI shows a banner and refuses to save secrets. */
  readonly keychainAvailable: boolean
  readonly keychainMessage?: string
  readonly dataDir: string
}

export interface IpcResults {
  listDatasources: ReadonlyArray<DatasourceView>
  getDatasource: DatasourceView
  testConnection: TestReport
  cancelTest: { readonly cancelled: boolean }
  tryOtherClientAuth: ClientAuthNegotiation
  discoverIssuer: DiscoveredServer
  saveDatasource: DatasourceView
  deleteDatasource: DeleteReport
  renewNow: TokenStatus
  signIn: TokenStatus
  getHistory: ReadonlyArray<HistoryEvent>
  getAppState: AppState
  copyToken: CopyReceipt
  getTokenDetails: TokenDetails
  clearToken: TokenStatus
  importDatasources: { readonly imported: ReadonlyArray<DatasourceView> }
  exportDatasources: { readonly text: string }
  exportToFile: ExportReceipt
  previewImport: ImportPreview
  applyImport: ImportReport
}

/** Events the main process pushes to the window. */
export interface IpcEvents {
  statusChanged: TokenStatus
  datasourcesChanged: { readonly ids: ReadonlyArray<string> }
  /** Open this datasource in the window (a tray item or an OS notification about it was clicked). */
  openDatasource: { readonly id: string }
}

export type IpcMethod = keyof typeof ipcContract
export type IpcEventName = keyof IpcEvents
export type IpcPayload<M extends IpcMethod> = z.input<(typeof ipcContract)[M]['payload']>
export type IpcParsedPayload<M extends IpcMethod> = z.output<(typeof ipcContract)[M]['payload']>
export type IpcResult<M extends IpcMethod> = Result<IpcResults[M]>

export const ipcMethods = Object.keys(ipcContract) as ReadonlyArray<IpcMethod>
export const ipcEventNames: ReadonlyArray<IpcEventName> = ['statusChanged', 'datasourcesChanged', 'openDatasource']

export const channelOf = (method: IpcMethod): string => `api:${method}`
export const eventChannelOf = (event: IpcEventName): string => `event:${event}`

/** What the preload exposes as `window.api`: one named method per contract entry, plus events. */
export type DatasourceApi = {
  readonly [M in IpcMethod]: (payload: IpcPayload<M>) => Promise<IpcResult<M>>
} & {
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  readonly on: <E extends IpcEventName>(event: E, listener: (payload: IpcEvents[E]) => void) => () => void
}

/** The handler table the core provides and the main process (or the e2e harness) registers. */
export type HandlerTable = {
  readonly [M in IpcMethod]: (payload: unknown) => Promise<IpcResult<M>>
}
