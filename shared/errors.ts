/**
 * Errors that cross the IPC boundary. Electron keeps only `message` of a thrown Error, so every
 * service returns a typed `Result` instead, and the renderer can show the right words and hint.
 * Messages never contain a secret.
 */

export type AppErrorKind =
  | 'validation' // the payload or form input does not match the schema
  | 'insecure-url' // refused before anything was sent (http:// to a non-loopback host)
  | 'oauth' // the token endpoint answered with an RFC 6749 5.2 error
  | 'invalid-response' // the answer is not a usable token response
  | 'network' // DNS, refused, timeout, TLS, redirect, reset
  | 'keychain' // the OS keychain is unavailable or a secret is missing
  | 'not-found'
  | 'conflict' // e.g. the datasource name is taken
  | 'cancelled'
  | 'storage' // the database could not be read or written
  | 'internal'

export interface FieldIssue {
  /** Dotted path of the form field, e.g. "auth.tokenUrl". */
  readonly path: string
  readonly message: string
}

export interface AppError {
  readonly kind: AppErrorKind
  /** Machine-readable detail: the OAuth `error` code, or e.g. "timeout", "dns", "tls", "not-json". */
  readonly code: string
  /** What happened, in plain words. */
  readonly message: string
  /** What the user can do about it, in the app's words (its labels and buttons). */
  readonly hint?: string
  /** The same advice for the command line (option values and commands) when it differs. */
  readonly cliHint?: string
  readonly httpStatus?: number
  readonly errorDescription?: string
  readonly errorUri?: string
  readonly fieldIssues?: ReadonlyArray<FieldIssue>
  /** Worth retrying later on its own (network trouble, 5xx, 429); renewal backs off and retries. */
  readonly transient?: boolean
  /** From a Retry-After header, in milliseconds. */
  readonly retryAfterMs?: number
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = <T = never>(error: AppError): Result<T> => ({ ok: false, error })

export function appError(kind: AppErrorKind, code: string, message: string, extra: Partial<AppError> = {}): AppError {
  return { kind, code, message, ...extra }
}

// Named constructors: the same condition always with the same kind, code and words.

/**
 * A SQLite write failed (a full disk, a read-only folder). A transient one is retried by the app's
 * scheduler, so its hint says so; a command is one attempt and never retries, so the CLI's hint
 * says to run it again (issue 11, item 11).
 */
export function storageError(message: string, transient = false): AppError {
  const check = 'Check that the disk is not full and the data folder is writable'
  return appError('storage', 'write-failed', message, {
    hint: transient ? `${check}; the app retries on its own.` : `${check}, then try again.`,
    cliHint: `${check}, then run the command again.`,
    ...(transient ? { transient } : {}),
  })
}

export function notFound(): AppError {
  return appError('not-found', 'datasource-not-found', 'This datasource no longer exists.', { hint: 'Go back to the list; it may have been deleted.' })
}

export function noOAuth(): AppError {
  return appError('validation', 'no-oauth', 'This datasource does not use OAuth2 - Password.')
}

/** Hints per RFC 6749 5.2 error code, shown under the server's own description. */
export const oauthErrorHints: Readonly<Record<string, string>> = {
  invalid_request:
    'The server says a parameter is missing or malformed. Check the scope and the extra token parameters.',
  invalid_client:
    'Check the client ID and client secret. If they are right, switch the client authentication method (HTTP Basic header or credentials in the request body).',
  invalid_grant: 'Check the username and password. The account may also be locked or need a password change.',
  unauthorized_client:
    'The password grant is not enabled for this client. Enable it on the server (Keycloak: "Direct Access Grants"; Okta/Auth0: the "Password" grant type).',
  unsupported_grant_type: 'This server does not offer the password grant at all. Ask its administrator.',
  invalid_scope: 'A requested scope is unknown or not allowed for this client. Remove it or ask for it to be allowed.',
}

/** The heading of a failed Test connection, per error kind: the app's panel and the CLI say the same. */
export function testFailureTitle(error: AppError): string {
  return testFailureTitles[error.kind] ?? 'The connection test failed'
}

const testFailureTitles: Readonly<Partial<Record<AppErrorKind, string>>> = {
  oauth: 'The server refused the token request',
  'invalid-response': 'The answer is not a usable token',
  network: 'Could not reach the token endpoint',
  'insecure-url': 'Not sent: the token URL is not secure',
  validation: 'Some fields need attention',
  keychain: 'The keychain is not available',
}
