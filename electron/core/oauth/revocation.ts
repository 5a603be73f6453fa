/**
 * Token revocation (RFC 7009) at the endpoint the server's metadata advertised: the refresh token
 * first (revoking it usually ends the access tokens issued with it), then the access token. Best
 * effort: both requests share one short deadline, and every failure becomes a report, never an
 * exception, so a delete or a discarded token never waits long or fails because of it.
 *
 * oauth4webapi's revocationRequest builds the request (3.8: POST, form body `token` plus our
 * `token_type_hint`, no Accept header, the client authenticated by the same function as token
 * requests); our bounded exchange sends it (our fetch, no redirects, a size cap). Credentials go
 * only to the origin the tokens came from: a revocation endpoint on any other origin gets nothing.
 */
import * as oauth from 'oauth4webapi'
import { AppFailure, appError, serverErrorCode, type AppError } from '../../../shared/errors'
import type { RevocationReport, RevokedTokenKind } from '../../../shared/revocation'
import type { Secret } from '../secrets/secret'
import { BoundedExchange } from './bounded-exchange'
import { Redactor } from './redaction'
import { checkUrl, clientAuthentication, type OAuthClientConfig, type TokenRequestOptions } from './token-client'
import { cleanServerText } from './token-errors'
import { urlHost, urlOrigin } from '../../../shared/url-parts'

/** Both requests together; a revocation is never worth more of the user's time than this. */
export const REVOCATION_TIMEOUT_MS = 5_000

/** What to revoke: the tokens a datasource held, and the client that obtained them. */
export interface RevocationTarget {
  readonly endpoint: string
  readonly config: OAuthClientConfig
  readonly refreshToken: Secret | null
  readonly accessToken: Secret | null
}

const HINTS: Readonly<Record<RevokedTokenKind, string>> = { 'refresh-token': 'refresh_token', 'access-token': 'access_token' }

/** Revokes the target's refresh token, then its access token; null when there is nothing to revoke. */
export async function revokeTokens(target: RevocationTarget, options: TokenRequestOptions): Promise<RevocationReport | null> {
  const tokens: Array<[RevokedTokenKind, Secret]> = []
  if (target.refreshToken && !target.refreshToken.isEmpty) tokens.push(['refresh-token', target.refreshToken])
  if (target.accessToken && !target.accessToken.isEmpty) tokens.push(['access-token', target.accessToken])
  if (tokens.length === 0) return null
  const endpoint = checkUrl(target.endpoint, 'the revocation endpoint')
  if (!endpoint.ok) return { host: urlHost(target.endpoint), revoked: [], error: endpoint.error }
  const url = endpoint.value
  const tokenOrigin = urlOrigin(target.config.tokenUrl)
  if (url.origin !== tokenOrigin) {
    // The tokens and the client secret were only ever sent to the token URL's origin.
    return {
      host: url.host,
      revoked: [],
      error: appError('validation', 'revocation-other-origin', `Nothing was sent: the revocation endpoint is on ${url.host}, not on ${urlHost(target.config.tokenUrl)} where the tokens came from.`),
    }
  }
  const auth = clientAuthentication(target.config)
  if (!auth.ok) return { host: url.host, revoked: [], error: auth.error }

  // Real elapsed time, whatever clock the caller runs on: the budget is the user's waiting time.
  const started = performance.now()
  const budget = options.timeoutMs ?? REVOCATION_TIMEOUT_MS
  const revoked: RevokedTokenKind[] = []
  let firstError: AppError | undefined
  for (const [kind, token] of tokens) {
    const remaining = budget - (performance.now() - started)
    if (remaining <= 0) {
      firstError ??= appError('network', 'timeout', `The revocation endpoint (${url.host}) did not answer in time.`, { transient: true })
      break
    }
    const error = await revokeOne(url, target.config, auth.value, kind, token, { ...options, timeoutMs: remaining })
    if (!error) {
      revoked.push(kind)
      continue
    }
    firstError ??= error
    // The same server will not answer the second request either.
    if (error.kind === 'network' || error.kind === 'cancelled') break
  }
  return { host: url.host, revoked, ...(firstError ? { error: firstError } : {}) }
}

async function revokeOne(
  url: URL,
  config: OAuthClientConfig,
  auth: oauth.ClientAuth,
  kind: RevokedTokenKind,
  token: Secret,
  options: TokenRequestOptions,
): Promise<AppError | null> {
  const host = url.host
  const exchange = new BoundedExchange({ ...options, target: 'the revocation endpoint', host })
  const redactor = Redactor.for({ clientId: config.clientId, clientSecret: config.clientSecret?.reveal() ?? null, values: [token.reveal()] })
  const as: oauth.AuthorizationServer = { issuer: url.origin, revocation_endpoint: url.href }
  try {
    const response = await oauth.revocationRequest(as, { client_id: config.clientId }, auth, token.reveal(), {
      additionalParameters: { token_type_hint: HINTS[kind] },
      [oauth.allowInsecureRequests]: url.protocol === 'http:',
      signal: exchange.signal,
      [oauth.customFetch]: exchange.fetchRefusingRedirects,
    })
    await oauth.processRevocationResponse(response)
    return null
  } catch (error) {
    if (error instanceof AppFailure) return error.error
    if (error instanceof oauth.ResponseBodyError) {
      const code = serverErrorCode(cleanServerText(redactor.field(String(error.cause.error)), 60))
      const description = typeof error.cause.error_description === 'string' ? cleanServerText(redactor.field(error.cause.error_description), 200) : ''
      return appError('oauth', code, `The revocation endpoint (${host}) refused the request: ${code}${description ? ` (${description})` : ''}.`, { httpStatus: error.status })
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return appError('oauth', 'invalid_client', `The revocation endpoint (${host}) did not accept the client credentials (HTTP ${error.status}).`, { httpStatus: error.status })
    }
    if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response) {
      return appError('invalid-response', 'revocation-status', `The revocation endpoint (${host}) answered HTTP ${error.cause.status}.`, { httpStatus: error.cause.status })
    }
    return exchange.failureOf(error)
  } finally {
    exchange.dispose()
  }
}
