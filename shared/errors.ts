/**
 * Errors that cross the IPC boundary. Electron keeps only `message` of a thrown Error, so every
 * service returns a typed `Result` instead, and the renderer can show the right words and hint.
 * Messages never contain a secret.
 */

/**
 * Every code each kind of error may carry, so that `appError('oauth', 'timeout', ...)` does not
 * compile and the same condition always has the same code. A new condition adds its code here.
 */
export interface AppErrorCodes {
  /** The payload or form input does not match the schema, or the request cannot be made as asked. */
  readonly validation:
    | 'invalid-input'
    | 'invalid-url'
    | 'missing-client-secret'
    | 'unencodable-client-credentials'
    | 'password-required'
    | 'secrets-new-origin'
    | 'revocation-other-origin'
    | 'introspection-other-origin'
    | 'no-introspection'
    | 'no-oauth'
    | 'no-token'
    | 'no-url'
    | 'import-invalid'
    | 'import-empty'
    | 'import-too-large'
    | 'import-expired'
    | 'export-empty'
  /** Refused before anything was sent (http:// to a non-loopback host). */
  readonly 'insecure-url': 'http-not-loopback'
  /** The token or revocation endpoint refused the request: an RFC 6749 5.2 error, or a 401 without one. */
  readonly oauth: OAuthErrorCode | 'authentication-failed'
  /**
   * Renewal cannot go on without the user typing the password (Sign in): none is stored, and the
   * refresh token, if there was one, is no longer accepted.
   */
  readonly 'sign-in-needed': 'no-password' | 'refresh-token-rejected'
  /** The answer is not a usable token response (or metadata, or revocation answer). */
  readonly 'invalid-response':
    | 'wrong-token-url'
    | 'rate-limited'
    | 'server-error'
    | 'unexpected-status'
    | 'not-json'
    | 'not-object'
    | 'too-large'
    | 'missing-access-token'
    | 'missing-token-type'
    | 'invalid-expires-in'
    | 'malformed-token-response'
    | 'invalid-access-token'
    | 'invalid-refresh-token'
    | 'invalid-scope-value'
    | 'unsupported-token-type'
    | 'revocation-status'
    | 'introspection-status'
    | 'introspection-response'
    | 'issuer-mismatch'
    | 'no-metadata'
    | 'no-token-endpoint'
  /** DNS, refused, timeout, TLS, redirect, reset. */
  readonly network: 'dns' | 'refused' | 'timeout' | 'tls' | 'reset' | 'redirect' | 'unreachable' | 'failed'
  /** The OS keychain is unavailable, or a secret is missing from it. */
  readonly keychain: 'unavailable' | 'timeout' | 'locked' | 'failed' | 'secret-missing' | 'secrets-left'
  readonly 'not-found': 'datasource-not-found'
  /** E.g. the datasource name is taken, or the settings changed meanwhile. */
  readonly conflict: 'name-taken' | 'config-changed' | 'changed-elsewhere' | 'import-stale'
  readonly cancelled: 'cancelled' | 'disposed'
  /** The database (or a file) could not be read or written; another process holds the renewal. */
  readonly storage: 'write-failed' | 'lease-busy' | 'file-not-read' | 'file-not-written'
  readonly internal: 'unexpected' | 'ipc' | 'untrusted-sender' | 'handler-failed' | 'renewal-threw' | 'no-dialogs' | 'no-clipboard' | 'clipboard'
}

export type AppErrorKind = keyof AppErrorCodes

/** The RFC 6749 5.2 codes we give advice for. */
export type StandardOAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope'

declare const serverChosen: unique symbol
/** An `error` value as a server sent it (cleaned and bounded by serverErrorCode); any text. */
export type ServerErrorCode = string & { readonly [serverChosen]: true }

/** A server may send any `error`; ours are the standard ones we know. */
export type OAuthErrorCode = StandardOAuthErrorCode | ServerErrorCode

/** Marks text the caller has already cleaned (cleanServerText) as a server's OAuth error code. */
export function serverErrorCode(cleaned: string): ServerErrorCode {
  return cleaned as ServerErrorCode
}

export interface FieldIssue {
  /** Dotted path of the form field, e.g. "auth.tokenUrl". */
  readonly path: string
  readonly message: string
}

/** What every error may say besides its kind and code. */
export interface AppErrorDetails {
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

/** An error of one kind, with a code of that kind. */
export type AppErrorOf<K extends AppErrorKind> = AppErrorDetails & {
  readonly kind: K
  /** Machine-readable detail: the OAuth `error` code, or e.g. "timeout", "dns", "tls", "not-json". */
  readonly code: AppErrorCodes[K]
  /** What happened, in plain words. */
  readonly message: string
}

/** One of the kinds above; `kind` discriminates, so `error.kind === 'network'` narrows `code`. */
export type AppError = { readonly [K in AppErrorKind]: AppErrorOf<K> }[AppErrorKind]

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = <T = never>(error: AppError): Result<T> => ({ ok: false, error })

export function appError<K extends AppErrorKind>(kind: K, code: AppErrorCodes[K], message: string, details: AppErrorDetails = {}): AppErrorOf<K> {
  return { kind, code, message, ...details } as AppErrorOf<K>
}

/**
 * The one exception that carries an AppError: thrown where a Result cannot be returned (through a
 * library's callback, out of a transaction, up a command's call stack) and caught where it becomes
 * a Result or an exit code again.
 */
export class AppFailure extends Error {
  constructor(
    readonly error: AppError,
    /** How the error is headed where it is shown (e.g. Test connection's title), when not by its kind. */
    readonly title?: string,
    /** The datasource it is about: fills `<name>` in command-line hints. */
    readonly datasourceName?: string,
  ) {
    super(error.message)
    this.name = 'AppFailure'
  }
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

/**
 * Renewal needs the user: no password is stored, and the refresh token (if any) was refused. The
 * GUI's words name its Sign in prompt, the CLI's name the command.
 */
export function signInNeeded(refreshFailure: AppError | null): AppErrorOf<'sign-in-needed'> {
  const details = {
    hint: 'Entering the password again fixes this: use Sign in to get a new token; nothing else needs to change.',
    cliHint: 'Entering the password again fixes this: run "datasource-desk edit <name> --password-prompt" (or --password-stdin) to get a new token.',
  }
  return refreshFailure
    ? appError('sign-in-needed', 'refresh-token-rejected', `The refresh token is no longer accepted (${refreshFailure.code}), and no password is stored.`, details)
    : appError('sign-in-needed', 'no-password', 'No password is stored for automatic renewal.', details)
}

/** Another process holds the renewal lease past the wait; the scheduler tries again later. */
export function leaseBusy(): AppError {
  return appError('storage', 'lease-busy', 'Another Datasource Desk process is renewing this token.', { transient: true })
}

export function nameTaken(message: string, hint?: string): AppError {
  return appError('conflict', 'name-taken', message, hint ? { hint } : {})
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
  'sign-in-needed': 'The server refused the token request',
  'invalid-response': 'The answer is not a usable token',
  network: 'Could not reach the token endpoint',
  'insecure-url': 'Not sent: the token URL is not secure',
  validation: 'Some fields need attention',
  keychain: 'The keychain is not available',
}
