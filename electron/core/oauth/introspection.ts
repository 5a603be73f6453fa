/**
 * Token introspection (RFC 7662) at the endpoint the server's metadata advertised: asks the server
 * whether it still takes the stored access token, and what it knows about it.
 *
 * oauth4webapi's introspectionRequest builds the request (3.8: POST, form body `token` after our
 * `token_type_hint`, `Accept: application/json`, the client authenticated by the same function as
 * token requests); processIntrospectionResponse checks it (HTTP 200, a JSON object, `active` a
 * boolean; an OAuth error body or a WWW-Authenticate challenge otherwise). Our bounded exchange
 * sends it (our fetch, a deadline, no redirects, a size cap). The token and the client secret go
 * only to the token URL's origin; only non-secret fields come back, cleaned.
 */
import * as oauth from 'oauth4webapi'
import { AppFailure, appError, fail, ok, serverErrorCode, type AppError, type Result } from '../../../shared/errors'
import type { IntrospectionReport } from '../../../shared/introspection'
import type { Secret } from '../secrets/secret'
import { BoundedExchange } from './bounded-exchange'
import { Redactor } from './redaction'
import { checkUrl, clientAuthentication, type OAuthClientConfig, type TokenRequestOptions } from './token-client'
import { cleanServerText } from './token-errors'
import { urlHost, urlOrigin } from '../../../shared/url-parts'

/** The user is waiting on a button; a server that takes longer is reported, not waited for. */
export const INTROSPECTION_TIMEOUT_MS = 10_000

export interface IntrospectionTarget {
  readonly endpoint: string
  readonly config: OAuthClientConfig
  readonly accessToken: Secret
}

const CLIENT_REFUSED_HINT =
  'Some servers let only resource servers (or clients set up for it) introspect tokens. The token itself may still be fine: the API decides.'

export async function introspectToken(target: IntrospectionTarget, options: TokenRequestOptions): Promise<Result<IntrospectionReport>> {
  const checked = checkUrl(target.endpoint, 'the introspection endpoint')
  if (!checked.ok) return checked
  const url = checked.value
  const tokenOrigin = urlOrigin(target.config.tokenUrl)
  if (url.origin !== tokenOrigin) {
    // The token and the client secret were only ever sent to the token URL's origin.
    return fail(
      appError('validation', 'introspection-other-origin', `Nothing was sent: the introspection endpoint is on ${url.host}, not on ${urlHost(target.config.tokenUrl)} where the token came from.`, {
        hint: 'Ask the server’s administrator, or check the token at the API.',
      }),
    )
  }
  const auth = clientAuthentication(target.config)
  if (!auth.ok) return auth
  const host = url.host
  const token = target.accessToken.reveal()
  const exchange = new BoundedExchange({ ...options, timeoutMs: options.timeoutMs ?? INTROSPECTION_TIMEOUT_MS, target: 'the introspection endpoint', host })
  const redactor = Redactor.for({ clientId: target.config.clientId, clientSecret: target.config.clientSecret?.reveal() ?? null, values: [token] })
  const as: oauth.AuthorizationServer = { issuer: url.origin, introspection_endpoint: url.href }
  const client: oauth.Client = { client_id: target.config.clientId }
  try {
    const response = await oauth.introspectionRequest(as, client, auth.value, token, {
      additionalParameters: { token_type_hint: 'access_token' },
      [oauth.allowInsecureRequests]: url.protocol === 'http:',
      signal: exchange.signal,
      [oauth.customFetch]: exchange.fetchRefusingRedirects,
    })
    const body = await oauth.processIntrospectionResponse(as, client, response)
    return ok(reportOf(body, host, options.now(), redactor))
  } catch (error) {
    return fail(failureOf(error, host, redactor, exchange))
  } finally {
    exchange.dispose()
  }
}

function failureOf(error: unknown, host: string, redactor: Redactor, exchange: BoundedExchange): AppError {
  if (error instanceof AppFailure) return error.error
  if (error instanceof oauth.ResponseBodyError) {
    const code = serverErrorCode(cleanServerText(redactor.field(String(error.cause.error)), 60))
    const description = typeof error.cause.error_description === 'string' ? cleanServerText(redactor.field(error.cause.error_description), 200) : ''
    const refusedClient = code === 'invalid_client' || error.status === 401 || error.status === 403
    return appError('oauth', code, `The introspection endpoint (${host}) refused the request: ${code}${description ? ` (${description})` : ''}.`, {
      httpStatus: error.status,
      hint: refusedClient ? CLIENT_REFUSED_HINT : 'Try again later; the token itself may still be fine.',
    })
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return appError('oauth', 'invalid_client', `The introspection endpoint (${host}) did not accept the client credentials (HTTP ${error.status}).`, {
      httpStatus: error.status,
      hint: CLIENT_REFUSED_HINT,
    })
  }
  // A 200 that is not JSON also carries the Response as its cause (assertApplicationJson).
  if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response && error.cause.status !== 200) {
    const status = error.cause.status
    const refusedClient = status === 401 || status === 403
    return appError('invalid-response', 'introspection-status', `The introspection endpoint (${host}) answered HTTP ${status}.`, {
      httpStatus: status,
      hint: refusedClient ? CLIENT_REFUSED_HINT : status === 404 ? 'The server’s metadata names an endpoint that is not there: run the discovery again in Settings.' : 'Try again later.',
    })
  }
  if (error instanceof oauth.OperationProcessingError) {
    return appError('invalid-response', 'introspection-response', `The introspection endpoint (${host}) did not answer with an RFC 7662 response (a JSON object with "active").`, {
      hint: 'The server’s metadata may name the wrong endpoint: run the discovery again in Settings.',
    })
  }
  return exchange.failureOf(error)
}

/** Only the fields RFC 7662 2.2 names that say nothing secret, each of the type the RFC gives it. */
function reportOf(body: oauth.IntrospectionResponse, host: string, checkedAt: number, redactor: Redactor): IntrospectionReport {
  const text = (value: unknown, max: number): string | undefined => (typeof value === 'string' ? cleanServerText(redactor.field(value), max) : undefined)
  const seconds = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined)
  const audience = typeof body.aud === 'string' ? [body.aud] : Array.isArray(body.aud) ? body.aud.filter((item): item is string => typeof item === 'string').slice(0, 20) : undefined
  const fields = {
    scope: text(body.scope, 1000),
    clientId: text(body.client_id, 200),
    username: text(body.username, 200),
    tokenType: text(body.token_type, 60),
    exp: seconds(body.exp),
    iat: seconds(body.iat),
    sub: text(body.sub, 200),
    aud: audience?.map((item) => cleanServerText(redactor.field(item), 200)),
    iss: text(body.iss, 300),
  }
  // RFC 7662 2.2: an inactive token's other fields mean nothing; they are not shown.
  if (!body.active) return { host, checkedAt, active: false }
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== '')) as Partial<IntrospectionReport>
  return { ...present, host, checkedAt, active: true }
}
