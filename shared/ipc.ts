/**
 * The IPC contract, declared once. Each method names its payload schema (validated at runtime in
 * the main process) and its result type; the preload, the main-process registration, the renderer's
 * api and the e2e harness are all derived from this table. Results are `Result`s: handlers never
 * throw across IPC (Electron would keep only the message).
 */
import { z } from 'zod'
import { datasourceIdSchema, datasourceInputSchema, LIMITS, secretValueSchema, type DatasourceView, type DiscoveredServer } from './datasource'
import type { AppState } from './app-state'
import type { ClientAuthNegotiation, TestReport } from './connection-test'
import type { DeleteReport } from './delete-report'
import type { Result } from './errors'
import type { HistoryEvent } from './history'
import type { IntrospectionReport } from './introspection'
import type { ExportReceipt, ImportPreview, ImportReport } from './import-export'
import { COPY_FORMATS, type CopyReceipt, type TokenDetails } from './token-actions'
import type { TokenStatus } from './token'

/** A test run is named by the renderer so that it can cancel it and later save its token. */
const testIdSchema = z.string().uuid({ error: 'Not a test id' }).brand<'TestId'>()
const idPayload = z.object({ id: datasourceIdSchema }).strict()
/** An export of thousands of datasources is well under this. */
export const IMPORT_TEXT_LIMIT = 16 * 1024 * 1024

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
  /** Asks the server about the stored token (RFC 7662 introspection); only non-secret fields come back. */
  introspectToken: { payload: idPayload },
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
  introspectToken: IntrospectionReport
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
