import type { IntrospectionOffer } from './introspection'

/** The token actions of the window: copy it (in which form), and what the token says about itself. */
export const COPY_FORMATS = ['access-token', 'authorization-header', 'curl'] as const
export type CopyFormat = (typeof COPY_FORMATS)[number]

export interface CopyReceipt {
  readonly format: CopyFormat
  /** When the clipboard is cleared, unless something else was copied meanwhile. */
  readonly clearsAt: number
  /** The copied token's expiry, so the window can say how long the copy is good for. */
  readonly expiresAt: number | null
}

export type JwtClaimValue = string | number | boolean | ReadonlyArray<string>

export interface JwtDetails {
  /** alg, typ, kid: as the token says, cleaned of control characters. */
  readonly header: Readonly<Record<string, JwtClaimValue>>
  /** iss, sub, aud, scope/scp, exp, iat, nbf, client_id, where present. */
  readonly claims: Readonly<Record<string, JwtClaimValue>>
}

export interface TokenDetails {
  /** null: the token is opaque (not a JWT), which is common and fine. */
  readonly jwt: JwtDetails | null
  /** Where the server can be asked about the token (RFC 7662); null when its metadata named no endpoint. */
  readonly introspection: IntrospectionOffer | null
}
