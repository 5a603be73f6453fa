/** What Test connection reports (and trying the other client authentication methods). */
import type { ClientAuthMethod } from './client-auth'
import type { AppError } from './errors'
import type { TokenMeta } from './token'

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
