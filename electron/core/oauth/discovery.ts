/**
 * Authorization server discovery from an issuer URL: OpenID Connect Discovery
 * (`<issuer>/.well-known/openid-configuration`) first, then RFC 8414
 * (`/.well-known/oauth-authorization-server/<issuer path>`), both built and checked by
 * oauth4webapi (the metadata's `issuer` must equal the URL asked for, path included). Fetched
 * through our bounded exchange: our fetch, a deadline, a size cap, no redirects.
 */
import * as oauth from 'oauth4webapi'
import type { DiscoveredServer } from '../../../shared/datasource'
import { AppFailure, appError, fail, ok, type AppError, type AppErrorCodes, type Result } from '../../../shared/errors'
import { isLoopbackHost } from '../../../shared/loopback'
import { showUntrusted } from '../../../shared/untrusted-text'
import { BoundedExchange } from './bounded-exchange'
import type { TokenRequestOptions } from './token-client'

const MAX_LISTED = 30

function discoveryError(code: AppErrorCodes['invalid-response'], message: string, hint: string): AppError {
  return appError('invalid-response', code, message, { hint, cliHint: hint.replace('the issuer URL', '--issuer') })
}

/** The issuer URL as typed: https (http only for loopback), no query or fragment (RFC 8414 2). */
function issuerUrl(value: string): Result<URL> {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return fail(appError('validation', 'invalid-url', 'The issuer URL is not a valid URL.', { hint: 'Enter the issuer, e.g. https://login.example.com/realms/acme' }))
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return fail(appError('insecure-url', 'http-not-loopback', 'The issuer URL must start with https:// (http:// only for this computer).'))
  }
  if (url.search || url.hash || url.username || url.password) {
    return fail(appError('validation', 'invalid-url', 'An issuer URL has no query, fragment or credentials.', { hint: 'Remove everything after ? or #.' }))
  }
  return ok(url)
}

function stringList(value: unknown): ReadonlyArray<string> | undefined {
  if (!Array.isArray(value)) return undefined
  return value.filter((item): item is string => typeof item === 'string').slice(0, MAX_LISTED).map((item) => showUntrusted(item, 100))
}

function endpoint(value: unknown, issuer: URL): string | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname) && issuer.protocol === 'http:')) return url.href
  } catch {
    // An unusable endpoint is left out, as if it were not advertised.
  }
  return undefined
}

async function fetchMetadata(issuer: URL, algorithm: 'oidc' | 'oauth2', options: TokenRequestOptions): Promise<Record<string, unknown> | AppError> {
  const exchange = new BoundedExchange({ ...options, target: 'the issuer', host: issuer.host })
  try {
    const response = await oauth.discoveryRequest(issuer, {
      algorithm,
      [oauth.allowInsecureRequests]: issuer.protocol === 'http:',
      signal: exchange.signal,
      [oauth.customFetch]: async (url, init) => {
        const opened = await exchange.open(url, { method: 'GET', headers: init.headers })
        const received = await exchange.read(opened)
        return new Response(received.status === 204 || received.status === 304 ? null : received.bytes, { status: received.status, headers: received.headers })
      },
    })
    return (await oauth.processDiscoveryResponse(issuer, response)) as Record<string, unknown>
  } catch (error) {
    if (error instanceof AppFailure) return error.error
    if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      return discoveryError('issuer-mismatch', `The metadata at ${issuer.host} names a different issuer than ${issuer.href}.`, 'Enter the issuer URL exactly as the server names it (with its path, without a trailing slash unless it has one).')
    }
    return discoveryError('no-metadata', `No authorization server metadata was found for ${issuer.href}.`, 'Check the issuer URL (Keycloak: https://host/realms/<realm>; Okta: https://<org>/oauth2/default), or enter the token URL by hand.')
  } finally {
    exchange.dispose()
  }
}

/** Discovers the server behind an issuer URL; what it advertises, never a secret. */
export async function discoverIssuer(value: string, options: TokenRequestOptions): Promise<Result<DiscoveredServer>> {
  const parsed = issuerUrl(value)
  if (!parsed.ok) return parsed
  const issuer = parsed.value
  let metadata = await fetchMetadata(issuer, 'oidc', options)
  let source: DiscoveredServer['source'] = 'openid-configuration'
  if (!('issuer' in metadata) || typeof metadata.issuer !== 'string') {
    const first = metadata as AppError
    if (first.kind === 'network' || first.kind === 'cancelled') return fail(first)
    metadata = await fetchMetadata(issuer, 'oauth2', options)
    source = 'oauth-authorization-server'
    if (!('issuer' in metadata) || typeof metadata.issuer !== 'string') return fail(metadata as AppError)
  }
  const tokenEndpoint = endpoint(metadata.token_endpoint, issuer)
  if (!tokenEndpoint) {
    return fail(discoveryError('no-token-endpoint', `The metadata of ${issuer.href} names no usable token endpoint.`, 'Enter the token URL by hand.'))
  }
  const revocationEndpoint = endpoint(metadata.revocation_endpoint, issuer)
  const introspectionEndpoint = endpoint(metadata.introspection_endpoint, issuer)
  const grantTypes = stringList(metadata.grant_types_supported)
  const clientAuthMethods = stringList(metadata.token_endpoint_auth_methods_supported)
  const idTokenSigningAlgs = stringList(metadata.id_token_signing_alg_values_supported)
  return ok({
    issuer: metadata.issuer,
    source,
    tokenEndpoint,
    ...(revocationEndpoint ? { revocationEndpoint } : {}),
    ...(introspectionEndpoint ? { introspectionEndpoint } : {}),
    ...(grantTypes ? { grantTypes } : {}),
    ...(clientAuthMethods ? { clientAuthMethods } : {}),
    ...(idTokenSigningAlgs ? { idTokenSigningAlgs } : {}),
    discoveredAt: options.now(),
  })
}
