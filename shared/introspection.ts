/**
 * What the authorization server said about the stored access token (RFC 7662 token
 * introspection): only the non-secret fields, cleaned of control characters. The token itself
 * never leaves the main process. No zod here: the CLI's shared chunk stays light.
 */

export interface IntrospectionReport {
  /** The introspection endpoint's host. */
  readonly host: string
  /** When the server answered (ms since the epoch). */
  readonly checkedAt: number
  /** false: the server rejects this token (revoked, expired, or never its own). */
  readonly active: boolean
  readonly scope?: string
  readonly clientId?: string
  readonly username?: string
  readonly tokenType?: string
  /** Seconds since the epoch (RFC 7662 2.2, as in JWT). */
  readonly exp?: number
  readonly iat?: number
  readonly sub?: string
  readonly aud?: ReadonlyArray<string>
  readonly iss?: string
}

/** Where the window can ask: the host of the advertised endpoint, on the token URL's origin or not. */
export interface IntrospectionOffer {
  readonly host: string
  /** false: the endpoint is on another origin than the token URL, so nothing would be sent there. */
  readonly sameOrigin: boolean
}

/** The fields of a report in the order they are shown, with the RFC's names. */
export function introspectionFacts(report: IntrospectionReport): ReadonlyArray<readonly [string, string | number]> {
  const facts: Array<readonly [string, string | number]> = [['active', report.active ? 'yes' : 'no']]
  const add = (name: string, value: string | number | ReadonlyArray<string> | undefined) => {
    if (value === undefined) return
    facts.push([name, Array.isArray(value) ? value.join(' ') : (value as string | number)])
  }
  add('scope', report.scope)
  add('client_id', report.clientId)
  add('username', report.username)
  add('token_type', report.tokenType)
  add('exp', report.exp)
  add('iat', report.iat)
  add('sub', report.sub)
  add('aud', report.aud)
  add('iss', report.iss)
  return facts
}
