/**
 * The OAuth 2.0 client: password grant, refresh grant, and the API check of Test connection.
 * oauth4webapi builds the requests (client authentication, form encoding) and validates the token
 * responses; around it we add what it leaves to the caller: our fetch, an overall deadline, a size
 * cap, no redirects, strict expires_in, and an AppError with plain words for every failure.
 * Nothing here throws.
 */
import * as oauth from 'oauth4webapi'
import { Buffer } from 'node:buffer'
import type { ClientAuthMethod, ExtraParam } from '../../../shared/datasource'
import { isLocalhostSubdomain, isLoopbackHost } from '../../../shared/loopback'
import { AppFailure, appError, fail, ok, type AppError, type Result } from '../../../shared/errors'
import type { ApiCheck } from '../../../shared/connection-test'
import type { ExpirySource, IdTokenCheck, TokenMeta } from '../../../shared/token'
import { ACCESS_TOKEN_CHARS, SCOPE_TOKENS, showUntrusted, VSCHARS } from '../../../shared/untrusted-text'
import type { FetchLike } from '../deps'
import { Secret } from '../secrets/secret'
import { BoundedExchange, discard, type ReceivedResponse } from './bounded-exchange'
import { Redactor } from './redaction'
import { basicCredentials, jwtExpiry } from './wire-format'
import {
  authenticationFailedError,
  describeValue,
  MAX_EXPIRES_IN_SECONDS,
  invalidTokenResponse,
  normaliseExpiresIn,
  notJsonError,
  oauthError,
  redirectError,
  unexpectedStatusError,
  unsupportedTokenType,
  wrongTokenUrlError,
  type GrantKind,
  type InvalidTokenField,
  type StatusInfo,
  type TokenErrorContext,
} from './token-errors'

export interface OAuthClientConfig {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: Secret | null
  readonly clientAuth: ClientAuthMethod
  readonly scope: string
  readonly extraParams: ReadonlyArray<ExtraParam>
  /** The issuer known from discovery; only then is an id_token in the response validated. */
  readonly issuer?: KnownIssuer | null
  /** A vendor preset's advice, added to the hints for refused clients and grants. */
  readonly vendorHint?: string
  /** The RFC 7009 endpoint the metadata advertised for this token URL, if any. */
  readonly revocationEndpoint?: string
  /** The RFC 7662 endpoint the metadata advertised for this token URL, if any. */
  readonly introspectionEndpoint?: string
}

export interface KnownIssuer {
  readonly issuer: string
  /** id_token_signing_alg_values_supported from the metadata; RS256 when absent (OIDC Discovery 3). */
  readonly idTokenSigningAlgs?: ReadonlyArray<string>
}

export interface TokenRequestOptions {
  readonly fetch: FetchLike
  readonly now: () => number
  readonly signal?: AbortSignal
  /** Overall deadline, body included. Default 15 s. */
  readonly timeoutMs?: number
  /** Larger responses are abandoned unread. Default 1 MiB. */
  readonly maxResponseBytes?: number
}

export interface IssuedToken {
  readonly accessToken: Secret
  readonly refreshToken: Secret | null
  readonly meta: TokenMeta
}

/** Password grant (RFC 6749 4.3). */
export function requestPasswordToken(
  config: OAuthClientConfig,
  username: string,
  password: Secret,
  options: TokenRequestOptions,
): Promise<Result<IssuedToken>> {
  const parameters = extraParameters(config)
  if (config.scope.trim()) parameters.set('scope', config.scope.trim())
  parameters.set('username', username)
  parameters.set('password', password.reveal())
  return tokenRequest(config, 'password', parameters, [password.reveal()], options)
}

/**
 * Refresh grant (RFC 6749 6). `meta.hasRefreshToken` says whether a new refresh token came back;
 * when none did, the caller keeps the old one.
 */
export function requestRefreshedToken(config: OAuthClientConfig, refreshToken: Secret, options: TokenRequestOptions): Promise<Result<IssuedToken>> {
  // No scope: omitted means "as originally granted" (RFC 6749 6). Sending the requested scope again
  // fails with invalid_scope on servers that granted less than was asked for.
  const parameters = extraParameters(config)
  parameters.set('refresh_token', refreshToken.reveal())
  return tokenRequest(config, 'refresh_token', parameters, [refreshToken.reveal()], options)
}

/**
 * The GET Test connection makes to the datasource URL, with the new token when there is one (null:
 * a datasource without authentication). The status is the answer, whatever it is (a 302 or a 401
 * included); only a failed request gives `error`.
 */
export async function checkApi(url: string, accessToken: Secret | null, options: TokenRequestOptions): Promise<ApiCheck> {
  const target = checkUrl(url, 'the API URL', accessToken !== null)
  if (!target.ok) return { method: 'GET', url, error: target.error }
  const exchange = new BoundedExchange({ ...options, target: 'the API', host: target.value.host })
  const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5' }
  if (accessToken) headers.authorization = `Bearer ${accessToken.reveal()}`
  try {
    const response = await exchange.open(target.value.href, { method: 'GET', headers })
    await discard(response)
    // The API's reason phrase is server text too: it may echo the token it was sent.
    const redactor = Redactor.for({ clientId: '', clientSecret: null, values: accessToken ? [accessToken.reveal()] : [] })
    return { method: 'GET', url, status: response.status, statusText: showUntrusted(redactor.field(response.statusText), 100) }
  } catch (error) {
    return { method: 'GET', url, error: exchange.failureOf(error) }
  } finally {
    exchange.dispose()
  }
}

function extraParameters(config: OAuthClientConfig): URLSearchParams {
  // Set first, so that the parameters this client sets itself always win (the schema forbids
  // overriding them too; this holds for callers that skipped it).
  const parameters = new URLSearchParams()
  for (const param of config.extraParams) parameters.set(param.name, param.value)
  return parameters
}

/** Our checks before anything is sent: a URL, and https unless loopback when a credential goes along. */
export function checkUrl(value: string, label: string, carriesCredentials = true): Result<URL> {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return fail(appError('validation', 'invalid-url', `${capitalise(label)} is not a valid URL.`, { hint: 'Enter a full URL, starting with https://' }))
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return fail(appError('validation', 'invalid-url', `${capitalise(label)} must start with https://.`))
  }
  if (carriesCredentials && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return fail(
      appError('insecure-url', 'http-not-loopback', `Nothing was sent: ${label} uses http://, which would send credentials unencrypted to ${url.host}.`, {
        hint: isLocalhostSubdomain(url.hostname)
          ? `Use http://localhost or http://127.0.0.1 instead: ${url.hostname} is looked up by the system resolver, which may answer with another host.`
          : 'Use https://. Plain http:// is allowed only for this computer (localhost).',
      }),
    )
  }
  return ok(url)
}

/** The client authentication of token requests; revocation (RFC 7009 2.1) authenticates the same way. */
export function clientAuthentication(config: OAuthClientConfig): Result<oauth.ClientAuth> {
  const secret = config.clientSecret?.reveal() ?? ''
  if (config.clientAuth === 'none') return ok(oauth.None())
  if (!secret) {
    return fail(
      appError('validation', 'missing-client-secret', 'This client authentication method needs a client secret.', {
        hint: 'Enter the client secret, or choose "Public client" if the client has none.',
        cliHint: 'Give the client secret (--client-secret-prompt or --client-secret-stdin), or use --client-auth none if the client has none.',
        fieldIssues: [{ path: 'auth.clientSecret', message: 'Enter the client secret' }],
      }),
    )
  }
  switch (config.clientAuth) {
    case 'basic': {
      // Not oauth4webapi's ClientSecretBasic: it also escapes - _ . ~ ! * ' ( ), which servers that
      // compare the raw Basic value reject even for a plain id (wire-format.ts says why ours is safe).
      const header = basicCredentials(config.clientId, secret)
      if (header === null) return fail(unencodableCredentials())
      return ok((_as, _client, _body, headers) => {
        headers.set('authorization', header)
      })
    }
    case 'body':
      return ok(oauth.ClientSecretPost(secret))
    case 'basic-raw':
      // For servers that do not form-decode Basic credentials (RFC 6749 2.3.1 says they must):
      // id and secret go into the header exactly as typed.
      return ok((_as, client, _body, headers) => {
        headers.set('authorization', `Basic ${Buffer.from(`${client.client_id}:${secret}`, 'utf8').toString('base64')}`)
      })
  }
}

function unencodableCredentials(): AppError {
  return appError('validation', 'unencodable-client-credentials', 'The client ID or client secret contains a broken character (an unpaired UTF-16 surrogate) that cannot be sent.', {
    hint: 'Type the client ID and client secret again, or paste them from their source.',
    fieldIssues: [{ path: 'auth.clientSecret', message: 'Contains a character that cannot be sent' }],
  })
}

interface Prepared {
  readonly response: Response
  /** token_type as the server spelled it; oauth4webapi lowercases it. */
  readonly tokenType: string | null
  /** The id_token taken out of the response (undefined: there was none). */
  readonly idToken: unknown
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/**
 * Rebuilds the response from the bytes read within the cap, for oauth4webapi to validate. Three
 * deliberate changes: a numeric-string expires_in becomes a number (and anything else that is
 * not a positive number is refused, where oauth4webapi would accept "12abc" or 0); an id_token is
 * taken out, because oauth4webapi validates it against an issuer it can only guess from the token
 * URL (wrong for Keycloak, Okta, Entra) and RS256, and the product does not use it; and
 * WWW-Authenticate is dropped, because at the token endpoint the JSON body is the error that counts
 * (RFC 6749 5.2) and oauth4webapi would otherwise report only the challenge.
 */
function prepareForValidation(received: ReceivedResponse, host: string): Prepared {
  const headers = new Headers(received.headers)
  for (const name of ['www-authenticate', 'content-length', 'content-encoding', 'transfer-encoding']) headers.delete(name)
  let body: Uint8Array<ArrayBuffer> | string | null = NULL_BODY_STATUSES.has(received.status) ? null : received.bytes
  let tokenType: string | null = null
  let idToken: unknown
  if (received.status === 200) {
    const json = parseJsonObject(received.bytes)
    if (json) {
      tokenType = typeof json.token_type === 'string' ? json.token_type : null
      const { id_token: taken, ...rest } = json
      idToken = taken
      const changed: Record<string, unknown> = rest
      if (json.expires_in !== undefined) {
        const seconds = normaliseExpiresIn(json.expires_in)
        if (seconds === null) throw new AppFailure(invalidTokenResponse('expires_in', host, describeValue(json.expires_in)))
        changed.expires_in = seconds
      }
      if (idToken !== undefined || json.expires_in !== undefined) body = JSON.stringify(changed)
    }
  }
  // No statusText: oauth4webapi does not read it, and one above U+00FF (Node's fetch lets it through) would throw here.
  return { response: new Response(body, { status: received.status, headers }), tokenType, idToken }
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

async function tokenRequest(
  config: OAuthClientConfig,
  grant: GrantKind,
  parameters: URLSearchParams,
  grantSecrets: ReadonlyArray<string>,
  options: TokenRequestOptions,
): Promise<Result<IssuedToken>> {
  const target = checkUrl(config.tokenUrl, 'the token URL')
  if (!target.ok) return target
  const url = target.value
  const auth = clientAuthentication(config)
  if (!auth.ok) return auth
  const host = url.host
  const context: TokenErrorContext = { host, grant, clientAuth: config.clientAuth, ...(config.vendorHint ? { vendorHint: config.vendorHint } : {}) }
  const redactor = Redactor.for({ clientId: config.clientId, clientSecret: config.clientSecret?.reveal() ?? null, values: grantSecrets })
  const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.href }
  const client: oauth.Client = { client_id: config.clientId }
  const exchange = new BoundedExchange({ ...options, target: 'the token endpoint', host })
  let received: ReceivedResponse | null = null
  let tokenType: string | null = null
  let idToken: unknown

  const send = async (input: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>): Promise<Response> => {
    const response = await exchange.open(input, { method: init.method, headers: init.headers, body: init.body })
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await discard(response)
      throw new AppFailure(redirectError(response.status, response.headers.get('location'), url))
    }
    // The one place server text enters: every field that echoes a secret is replaced before
    // anything (oauth4webapi, our errors, SQLite, logs, the window) reads the response.
    received = screenReceived(await exchange.read(response), redactor)
    if (received.status < 200 || received.status > 599) throw new AppFailure(unexpectedStatusError(statusInfo(received), host, options.now()))
    const prepared = prepareForValidation(received, host)
    tokenType = prepared.tokenType
    idToken = prepared.idToken
    return prepared.response
  }

  const requestOptions = {
    [oauth.customFetch]: send,
    [oauth.allowInsecureRequests]: url.protocol === 'http:',
    signal: exchange.signal,
  }
  try {
    const response =
      grant === 'password'
        ? await oauth.genericTokenEndpointRequest(as, client, auth.value, 'password', parameters, requestOptions)
        : await oauth.refreshTokenGrantRequest(as, client, auth.value, parameters.get('refresh_token') ?? '', {
            ...requestOptions,
            additionalParameters: withoutKey(parameters, 'refresh_token'),
          })
    const body =
      grant === 'password'
        ? await oauth.processGenericTokenEndpointResponse(as, client, response)
        : await oauth.processRefreshTokenResponse(as, client, response)
    if (body.token_type !== 'bearer') return fail(unsupportedTokenType(tokenType ?? body.token_type, host))
    const refused = refusedTokenCharacters(body)
    if (refused) return fail(invalidTokenResponse(refused, host))
    const obtainedAt = exchange.sentAt ?? options.now()
    const expiry = expiryOf(body, obtainedAt)
    const meta: TokenMeta = {
      tokenType: tokenType ?? body.token_type,
      grantedScope: body.scope ?? null,
      requestedScope: config.scope,
      obtainedAt,
      expiresAt: expiry.expiresAt,
      hasRefreshToken: body.refresh_token !== undefined,
      expiresFrom: expiry.from,
      idToken: await checkIdToken(idToken, config, url.href),
    }
    return ok({
      accessToken: new Secret(body.access_token),
      refreshToken: body.refresh_token === undefined ? null : new Secret(body.refresh_token),
      meta,
    })
  } catch (error) {
    return fail(describeFailure(error, received, tokenType, context, exchange, options.now))
  } finally {
    exchange.dispose()
  }
}

/** RFC 6749 Appendix A: tokens are printable ASCII, scope is a list of scope tokens. */
function refusedTokenCharacters(body: oauth.TokenEndpointResponse): InvalidTokenField | null {
  if (!ACCESS_TOKEN_CHARS.test(body.access_token)) return 'access_token-characters'
  if (body.refresh_token !== undefined && !VSCHARS.test(body.refresh_token)) return 'refresh_token-characters'
  if (body.scope !== undefined && !SCOPE_TOKENS.test(body.scope)) return 'scope-characters'
  return null
}

/** Fields that are the tokens themselves: they are secrets, and are never shown or stored in SQLite. */
const TOKEN_FIELDS = new Set(['access_token', 'refresh_token', 'id_token'])

/**
 * The response with every server-chosen text that holds a secret replaced whole: the reason
 * phrase, the content type, and each string in a JSON body (nested ones too). In a token response
 * the issued tokens count as secrets as well (a scope that repeats the access token is redacted).
 */
function screenReceived(received: ReceivedResponse, requestRedactor: Redactor): ReceivedResponse {
  const json = parseJsonObject(received.bytes)
  const issued = json ? [...TOKEN_FIELDS].map((name) => json[name]).filter((value): value is string => typeof value === 'string') : []
  const redactor = issued.length > 0 ? requestRedactor.with(issued) : requestRedactor
  const headers = new Headers(received.headers)
  const contentType = headers.get('content-type')
  if (contentType !== null && redactor.finds(contentType)) headers.set('content-type', 'application/octet-stream')
  let bytes = received.bytes
  if (json) {
    let changed = false
    const screen = (value: unknown, key: string | null): unknown => {
      if (typeof value === 'string') {
        if (key !== null && TOKEN_FIELDS.has(key)) return value
        const kept = redactor.field(value)
        if (kept !== value) changed = true
        return kept
      }
      if (Array.isArray(value)) return value.map((item) => screen(item, null))
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, item]) => [redactor.field(name), screen(item, null)]))
      }
      return value
    }
    const screened = Object.fromEntries(Object.entries(json).map(([name, value]) => [redactor.field(name), screen(value, name)]))
    if (changed || Object.keys(screened).some((name) => !(name in json))) bytes = new TextEncoder().encode(JSON.stringify(screened)) as Uint8Array<ArrayBuffer>
  }
  const statusText = redactor.field(received.statusText)
  return { ...received, headers, bytes, statusText }
}

/**
 * expires_in when the server sent it; otherwise the `exp` of a JWT access token (servers that send
 * no expires_in, e.g. Salesforce's, still put one there), if it lies after the request was sent;
 * otherwise unknown.
 */
function expiryOf(body: oauth.TokenEndpointResponse, obtainedAt: number): { expiresAt: number | null; from: ExpirySource } {
  if (body.expires_in !== undefined) return { expiresAt: obtainedAt + body.expires_in * 1000, from: 'expires_in' }
  const exp = jwtExpiry(body.access_token)
  // The same ten-year ceiling as expires_in: a far-future exp must not park renewal forever.
  if (exp !== null && exp > obtainedAt) return { expiresAt: Math.min(exp, obtainedAt + MAX_EXPIRES_IN_SECONDS * 1000), from: 'jwt-exp' }
  return { expiresAt: null, from: 'none' }
}

/**
 * The id_token is never used; it is validated (claims, issuer, audience, algorithm, by oauth4webapi)
 * only against an issuer that discovery told us, and the outcome is only reported: it never turns a
 * usable token response into a failure.
 */
async function checkIdToken(idToken: unknown, config: OAuthClientConfig, tokenEndpoint: string): Promise<IdTokenCheck> {
  if (idToken === undefined) return 'none'
  if (!config.issuer) return 'ignored'
  const as: oauth.AuthorizationServer = {
    issuer: config.issuer.issuer,
    token_endpoint: tokenEndpoint,
    ...(config.issuer.idTokenSigningAlgs?.length ? { id_token_signing_alg_values_supported: [...config.issuer.idTokenSigningAlgs] } : {}),
  }
  const response = new Response(JSON.stringify({ access_token: 'not-used', token_type: 'bearer', id_token: idToken }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  })
  try {
    await oauth.processGenericTokenEndpointResponse(as, { client_id: config.clientId }, response)
    return 'validated'
  } catch {
    return 'invalid'
  }
}

function withoutKey(parameters: URLSearchParams, key: string): URLSearchParams {
  const copy = new URLSearchParams(parameters)
  copy.delete(key)
  return copy
}

function statusInfo(received: ReceivedResponse): StatusInfo {
  return {
    status: received.status,
    statusText: received.statusText,
    contentType: showUntrusted(received.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '', 100) || null,
    retryAfter: received.headers.get('retry-after'),
  }
}

/** Maps what oauth4webapi (or our exchange) threw onto our categories. */
function describeFailure(
  error: unknown,
  received: ReceivedResponse | null,
  tokenType: string | null,
  context: TokenErrorContext,
  exchange: BoundedExchange,
  now: () => number,
): AppError {
  if (error instanceof AppFailure) return error.error
  if (!received) return exchange.failureOf(error)
  const info = statusInfo(received)
  // Only 400 and 401 carry RFC 6749 5.2 errors. A 404 with {"error":"Not Found"} is a web
  // framework's error page (a wrong token URL); a 403's JSON is a gateway's, not the OAuth server's.
  if (error instanceof oauth.ResponseBodyError && (error.status === 400 || error.status === 401)) return oauthError(error.cause, error.status, context)
  if (received.status === 404 || received.status === 405) return wrongTokenUrlError(info, context.host)
  if (received.status === 401 || received.status === 403) {
    const serverCode = error instanceof oauth.ResponseBodyError ? String(error.cause.error) : undefined
    return authenticationFailedError(info, context, serverCode)
  }
  if (received.status !== 200) return unexpectedStatusError(info, context.host, now())
  if (error instanceof oauth.UnsupportedOperationError) {
    return unsupportedTokenType(tokenType ?? 'unknown', context.host)
  }
  if (error instanceof oauth.OperationProcessingError) {
    switch (error.code) {
      case oauth.RESPONSE_IS_NOT_JSON:
      case oauth.PARSE_ERROR:
        return notJsonError(info, context.host)
      case oauth.INVALID_RESPONSE:
        if (error.message.includes('"access_token"')) return invalidTokenResponse('access_token', context.host)
        if (error.message.includes('"token_type"')) return invalidTokenResponse('token_type', context.host)
        if (error.message.includes('"expires_in"')) return invalidTokenResponse('expires_in', context.host)
        if (error.message.includes('top level object')) return invalidTokenResponse('not-object', context.host)
        return invalidTokenResponse('other', context.host, fieldNamed(error.message))
    }
  }
  return appError('internal', 'unexpected', 'The token response could not be processed.', {
    hint: 'This is a bug in Datasource Desk; please report it with the server type you use.',
  })
}

/** The response field an oauth4webapi message names, e.g. "refresh_token"; never a value. */
function fieldNamed(message: string): string | undefined {
  const match = /"response" body "([a-z_]+)"/.exec(message)
  return match?.[1] ? `${match[1]} has the wrong type` : undefined
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
