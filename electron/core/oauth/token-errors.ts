/**
 * The words for everything a token endpoint can answer that is not a usable token. Pure functions,
 * so that each category can be unit-tested; none of them ever puts a response body or a secret
 * into the AppError.
 */
import { appError, oauthErrorHints, serverErrorCode, type AppError, type AppErrorCodes } from '../../../shared/errors'
import { clientAuthLabels, type ClientAuthMethod } from '../../../shared/client-auth'
import { parseRetryAfter } from '../../../shared/token'
import { showUntrusted } from '../../../shared/untrusted-text'

export type GrantKind = 'password' | 'refresh_token'

export interface TokenErrorContext {
  readonly host: string
  readonly grant: GrantKind
  readonly clientAuth: ClientAuthMethod
  /** A vendor preset's advice for refusals of the client or grant (e.g. Keycloak's "Direct access grants"). */
  readonly vendorHint?: string
}

/**
 * Server-chosen text as it may be shown: controls, bidi and invisible characters escaped, length
 * capped. Echoed secrets are already gone: the token client redacts every response field that
 * holds one before anything reads it (redaction.ts).
 */
export function cleanServerText(text: string, max?: number): string {
  return showUntrusted(text.trim(), max).trim()
}

const OAUTH_MESSAGES: Readonly<Record<string, (grant: GrantKind) => string>> = {
  invalid_request: () => 'The server says the token request is incomplete or malformed (invalid_request).',
  invalid_client: () => 'The server did not accept the client credentials (invalid_client).',
  invalid_grant: (grant) =>
    grant === 'password'
      ? 'The server did not accept the username or password (invalid_grant).'
      : 'The server no longer accepts the refresh token (invalid_grant): it has expired or was revoked.',
  unauthorized_client: (grant) =>
    `This client is not allowed to use the ${grant === 'password' ? 'password' : 'refresh token'} grant (unauthorized_client).`,
  unsupported_grant_type: (grant) =>
    `The server does not offer the ${grant === 'password' ? 'password' : 'refresh token'} grant (unsupported_grant_type).`,
  invalid_scope: () => 'The server did not accept the requested scope (invalid_scope).',
}

/** The client authentication methods worth trying after `current` failed, most likely first. */
export function otherClientAuthMethods(current: ClientAuthMethod): ReadonlyArray<ClientAuthMethod> {
  return current === 'body' ? ['basic', 'basic-raw'] : current === 'none' ? ['basic', 'body'] : current === 'basic' ? ['body', 'basic-raw'] : ['basic', 'body']
}

/** The same advice twice: in the app's labels (GUI) and in the option values (CLI). */
interface WordedHint {
  readonly hint: string
  readonly cliHint?: string
}

function clientAuthHint(context: TokenErrorContext): WordedHint {
  const others = otherClientAuthMethods(context.clientAuth)
  const vendor = context.vendorHint ? ` ${context.vendorHint}` : ''
  return {
    hint: `Check the client ID and client secret. If they are right, switch the client authentication method: you use "${clientAuthLabels[context.clientAuth]}" now; try ${others.map((method) => `"${clientAuthLabels[method]}"`).join(' or ')} (Test connection offers to try them).${vendor}`,
    cliHint: `Check the client ID and client secret. If they are right, switch the client authentication method: you use --client-auth ${context.clientAuth} now; try ${others.map((method) => `--client-auth ${method}`).join(' or ')}, or run the command again with --try-other-auth to try each one.${vendor}`,
  }
}

function oauthHint(code: string, context: TokenErrorContext): WordedHint | undefined {
  if (code === 'invalid_client') return clientAuthHint(context)
  if (code === 'invalid_grant' && context.grant === 'refresh_token') {
    return { hint: 'Sign in again with the password to get a new token.', cliHint: 'Enter the password again to get a new token: run "datasource-desk edit <name> --password-prompt" (or --password-stdin).' }
  }
  if (code === 'unauthorized_client' && context.grant === 'refresh_token') {
    return {
      hint: 'Enable the refresh token grant for this client, or sign in again with the password when the token expires.',
      cliHint: 'Enable the refresh token grant for this client, or store the password ("datasource-desk edit <name> --password-prompt") so that renewal can use it.',
    }
  }
  const base = oauthErrorHints[code]
  if (!base) return undefined
  return { hint: context.vendorHint && code === 'unauthorized_client' ? `${base} ${context.vendorHint}` : base }
}

/** An RFC 6749 5.2 error response. `body` is what the server sent, already known to carry `error`. */
export function oauthError(body: Readonly<Record<string, unknown>>, httpStatus: number, context: TokenErrorContext): AppError {
  const code = serverErrorCode(cleanServerText(String(body.error), 100) || 'unknown_error')
  const describe = OAUTH_MESSAGES[code]
  const message = describe ? describe(context.grant) : `The token endpoint (${context.host}) refused the request with the error "${code}".`
  const hint = oauthHint(code, context)
  return appError('oauth', code, message, {
    httpStatus,
    ...(hint ? { hint: hint.hint } : {}),
    ...(hint?.cliHint ? { cliHint: hint.cliHint } : {}),
    ...(typeof body.error_description === 'string' && body.error_description
      ? { errorDescription: cleanServerText(body.error_description) }
      : {}),
    ...(typeof body.error_uri === 'string' && body.error_uri ? { errorUri: cleanServerText(body.error_uri) } : {}),
    // Some servers ask clients to slow down with a 5.2 error; renewal should then retry.
    ...(httpStatus === 429 || httpStatus >= 500 ? { transient: true } : {}),
  })
}

export interface StatusInfo {
  readonly status: number
  readonly statusText: string
  readonly contentType: string | null
  readonly retryAfter: string | null
}

/** What a 404 or 405 from the token endpoint means, whatever its body says. */
export function wrongTokenUrlError(info: StatusInfo, host: string): AppError {
  const reason = info.statusText ? ` ${cleanServerText(info.statusText, 60)}` : ''
  return appError('invalid-response', 'wrong-token-url', `The token endpoint (${host}) answered HTTP ${info.status}${reason}: nothing at this address accepts token requests.`, {
    httpStatus: info.status,
    hint: 'Check the token URL (its path especially). If the server has an issuer URL, "Discover" fills the token URL from it.',
    cliHint: 'Check --token-url (its path especially). If the server has an issuer URL, "add --issuer <url>" fills the token URL from it.',
  })
}

/**
 * A 401 or 403 that carries no RFC 6749 error (an empty body, a proxy's page, a 403 with its own
 * JSON): the server or a gateway in front of it refused the credentials without saying which.
 */
export function authenticationFailedError(info: StatusInfo, context: TokenErrorContext, serverCode?: string): AppError {
  const what = serverCode ? ` (it said "${cleanServerText(serverCode, 60)}")` : info.contentType ? ` with ${info.contentType}` : ' without a reason'
  const clientHint = clientAuthHint(context)
  const credentials = context.grant === 'password' ? 'the username and password, ' : ''
  const reason = info.statusText ? ` ${cleanServerText(info.statusText, 60)}` : ''
  return appError('oauth', 'authentication-failed', `The token endpoint (${context.host}) refused the request with HTTP ${info.status}${reason}${what}: authentication failed.`, {
    httpStatus: info.status,
    hint: `Check ${credentials}then the client. ${clientHint.hint}`,
    ...(clientHint.cliHint ? { cliHint: `Check ${credentials}then the client. ${clientHint.cliHint}` } : {}),
  })
}

/** A non-success status without an OAuth error in JSON: a proxy, a gateway, a rate limiter, a wrong URL. */
export function unexpectedStatusError(info: StatusInfo, host: string, now: number): AppError {
  const { status } = info
  if (status === 404 || status === 405) return wrongTokenUrlError(info, host)
  const reason = info.statusText ? ` ${cleanServerText(info.statusText, 60)}` : ''
  const what = info.contentType ? ` with ${info.contentType}` : ''
  const message = `The token endpoint (${host}) answered HTTP ${status}${reason}${what} instead of a token.`
  const transient = status === 429 || status >= 500
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(info.retryAfter, now) : undefined
  const code = status === 429 ? 'rate-limited' : status >= 500 ? 'server-error' : 'unexpected-status'
  const hint =
    status === 429
      ? 'The server limits how often tokens may be requested. Wait a little before trying again.'
      : status >= 500
        ? 'The server or a proxy in front of it has a problem. Try again later.'
        : 'Check the token URL and the client settings.'
  return appError('invalid-response', code, message, {
    httpStatus: status,
    hint,
    ...(transient ? { transient: true } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  })
}

export function notJsonError(info: StatusInfo, host: string): AppError {
  const what = info.contentType ? info.contentType : 'no content type'
  const page = info.contentType?.includes('html') ? ' (a web page)' : ''
  return appError('invalid-response', 'not-json', `The token endpoint (${host}) answered HTTP ${info.status} with ${what}${page}, not a JSON token response.`, {
    httpStatus: info.status,
    hint: 'Check the token URL: it may point to a login page or a proxy instead of the token endpoint.',
  })
}

export type InvalidTokenField =
  | 'access_token'
  | 'token_type'
  | 'expires_in'
  | 'other'
  | 'not-object'
  | 'access_token-characters'
  | 'refresh_token-characters'
  | 'scope-characters'

const INVALID_FIELD: Readonly<Record<InvalidTokenField, { code: AppErrorCodes['invalid-response']; words: string }>> = {
  access_token: { code: 'missing-access-token', words: 'has no access_token' },
  token_type: { code: 'missing-token-type', words: 'has no token_type' },
  expires_in: { code: 'invalid-expires-in', words: 'has an expires_in that is not a positive number of seconds' },
  'not-object': { code: 'not-object', words: 'is JSON but not an object' },
  other: { code: 'malformed-token-response', words: 'is malformed' },
  // RFC 6749 Appendix A; a token with a line break would inject headers into `curl -H "$(datasource-desk header crm)"`.
  'access_token-characters': {
    code: 'invalid-access-token',
    words: 'has an access_token with characters a token may not hold (only printable ASCII without spaces is accepted)',
  },
  'refresh_token-characters': {
    code: 'invalid-refresh-token',
    words: 'has a refresh_token with characters a token may not hold (only printable ASCII is accepted)',
  },
  'scope-characters': {
    code: 'invalid-scope-value',
    words: 'has a scope that is not a list of scope tokens (printable ASCII without " or \\, separated by single spaces)',
  },
}

export function invalidTokenResponse(field: InvalidTokenField, host: string, detail?: string): AppError {
  const { code, words } = INVALID_FIELD[field]
  return appError('invalid-response', code, `The token response from ${host} ${words}${detail ? ` (${detail})` : ''}.`, {
    httpStatus: 200,
    hint: 'The server does not follow the OAuth 2.0 token response format. Check the token URL, or ask the server administrator.',
  })
}

export function unsupportedTokenType(tokenType: string, host: string): AppError {
  const shown = cleanServerText(tokenType, 40)
  return appError('invalid-response', 'unsupported-token-type', `The server (${host}) issued a token of type "${shown}"; only Bearer tokens can be used.`, {
    httpStatus: 200,
    hint: 'Ask the server administrator whether this client can get Bearer tokens.',
  })
}

export function redirectError(status: number, location: string | null, requestUrl: URL): AppError {
  let where = 'another address'
  if (location) {
    try {
      const target = new URL(location, requestUrl)
      where = target.host === requestUrl.host ? `another path on ${target.host}` : target.host
    } catch {
      where = 'an invalid address'
    }
  }
  return appError(
    'network',
    'redirect',
    `The token endpoint (${requestUrl.host}) redirected the request (HTTP ${status}) to ${where}. The redirect was not followed, so the credentials were not sent there.`,
    { httpStatus: status, transient: false, hint: 'Check the token URL. If you trust the new address, enter it as the token URL.' },
  )
}

/**
 * The longest lifetime believed: ten years. A larger expires_in (1e13, 1e308) would put the
 * expiry beyond what a Date can hold (Infinity in SQLite, RangeError in every `--json`), and no
 * server means it literally; such a token is kept as expiring in ten years, and renewed then.
 */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 24 * 60 * 60

/** RFC 6749 5.1 wants a number; Azure AD v1 and others send "3600". Returns null when unusable. */
export function normaliseExpiresIn(value: unknown): number | null {
  let seconds: number | null = null
  if (typeof value === 'number') seconds = value
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) seconds = Number(value)
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return null
  return Math.min(seconds, MAX_EXPIRES_IN_SECONDS)
}

/** A short, safe description of a bad expires_in for the message (it is never a secret). */
export function describeValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value)
  return json.length > 30 ? `${json.slice(0, 30)}...` : json
}

/**
 * Whether a failed refresh means the refresh token itself is dead, so that the password grant is
 * worth one try. Servers say so as invalid_grant (RFC 6749), as invalid_request ("Token has
 * expired"), as an empty 400 and in other ways; only a refused client and trouble reaching the
 * server say that the password grant would fail the same way.
 */
export function refreshTokenIsDead(error: AppError): boolean {
  if (error.kind !== 'oauth' && error.kind !== 'invalid-response') return false
  if (error.transient) return false
  return error.code !== 'invalid_client'
}
