/**
 * Client authentication negotiation for Test connection: after invalid_client (or a bare 401/403),
 * one attempt with each other method against the same token URL, so the user learns which one the
 * server accepts and can switch in one step. Every attempt goes to `config.tokenUrl` and nowhere
 * else (redirects are never followed), so no secret reaches another address.
 */
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../../shared/client-auth'
import type { AppError } from '../../../shared/errors'
import type { Secret } from '../secrets/secret'
import { requestPasswordToken, type IssuedToken, type OAuthClientConfig, type TokenRequestOptions } from './token-client'
import { otherClientAuthMethods } from './token-errors'

export interface NegotiationAttempt {
  readonly method: ClientAuthMethod
  /** Undefined when the server issued a token with this method. */
  readonly error?: AppError
}

export interface NegotiationResult {
  /** The first method the server issued a token for; null when none did. */
  readonly accepted: ClientAuthMethod | null
  readonly attempts: ReadonlyArray<NegotiationAttempt>
  readonly issued: IssuedToken | null
}

/** Whether a failure says the client authentication was refused, which another method may fix. */
export function isClientAuthRefusal(error: AppError): boolean {
  return (error.kind === 'oauth' && error.code === 'invalid_client') || error.code === 'authentication-failed'
}

export async function negotiateClientAuth(
  config: OAuthClientConfig,
  username: string,
  password: Secret,
  options: TokenRequestOptions,
): Promise<NegotiationResult> {
  const attempts: NegotiationAttempt[] = []
  const hasSecret = config.clientSecret !== null && !config.clientSecret.isEmpty
  const likely = otherClientAuthMethods(config.clientAuth)
  const rest = CLIENT_AUTH_METHODS.filter((method) => method !== config.clientAuth && !likely.includes(method))
  for (const method of [...likely, ...rest]) {
    // Without a secret only the public-client method can be sent at all.
    if (method !== 'none' && !hasSecret) continue
    if (options.signal?.aborted) break
    const result = await requestPasswordToken({ ...config, clientAuth: method }, username, password, options)
    if (result.ok) {
      attempts.push({ method })
      return { accepted: method, attempts, issued: result.value }
    }
    attempts.push({ method, error: result.error })
    // Not about the client any more (network trouble, a cancel): the next method would fare the same.
    if (result.error.kind === 'network' || result.error.kind === 'cancelled' || result.error.kind === 'insecure-url') break
  }
  return { accepted: null, attempts, issued: null }
}
