/**
 * What the interop matrix needs from an authorization server, whichever library implements it.
 * Every server under tests/support/interop listens on 127.0.0.1 on a random free port, knows the
 * clients and users below, and stops by itself when the test process goes away.
 */

export interface InteropClient {
  readonly id: string
  readonly secret: string
}

export interface InteropUser {
  readonly username: string
  readonly password: string
}

/** A plain client: what most users have (letters, digits and `-`, which need no encoding). */
export const PLAIN_CLIENT: InteropClient = { id: 'desk-client', secret: 'desk-secret-4711' }
/**
 * A secret with every character that needs encoding somewhere: `| = + / &` and a space. No
 * non-ASCII letter: a client secret is VSCHAR (RFC 6749 Appendix A), and servers enforce it.
 */
export const SPECIAL_CLIENT: InteropClient = { id: 'desk-special', secret: 'se|cr=et+x/y&z w' }
export const PLAIN_USER: InteropUser = { username: 'ana', password: 'ana-password-1' }
/** The same characters in a password, plus a non-ASCII letter (passwords are Unicode, RFC 6749 Appendix A). */
export const SPECIAL_USER: InteropUser = { username: 'bruno', password: 'pa|ss=w+o/r&d x-ü' }
export const EMAIL_USER: InteropUser = { username: 'carla.dias+desk@example.com', password: 'carla-password-1' }

/** The scope every client may have, and one no client may have. */
export const ALLOWED_SCOPE = 'read'
export const DISALLOWED_SCOPE = 'admin'

export const INTEROP_CLIENTS: ReadonlyArray<InteropClient> = [PLAIN_CLIENT, SPECIAL_CLIENT]
export const INTEROP_USERS: ReadonlyArray<InteropUser> = [PLAIN_USER, SPECIAL_USER, EMAIL_USER]

/** For servers whose access tokens are JWTs: leave `expires_in` out, and say the token's `exp`. */
export interface JwtExpiryControl {
  omitExpiresIn(omit: boolean): void
  /** `exp` of the last access token issued, in seconds since the epoch. */
  lastAccessTokenExp(): number | null
}

export interface InteropServer {
  /** Stable key, used in file names and the table's column order. */
  readonly key: string
  /** The implementation and its version, as the table shows it. */
  readonly title: string
  readonly tokenUrl: string
  /** A protected resource that answers 200 to a valid access token and 401 otherwise. */
  readonly apiUrl: string
  /** The OIDC issuer, when the server has one. */
  readonly issuer: string | null
  /** Lifetime of the access tokens issued from now on. */
  setAccessTokenLifetime(seconds: number): Promise<void>
  /** Makes every refresh token issued so far unusable, as an administrator's "revoke" does. */
  revokeRefreshTokens(): Promise<void>
  /**
   * RFC 7009 revocation, where the server has an endpoint: an issuer URL whose metadata (RFC 8414
   * or OIDC) names it, and whether a revoked refresh token is really refused afterwards.
   */
  readonly revocation?: { readonly issuer: string; readonly endpoint: string; readonly revokes: boolean }
  /**
   * RFC 7662 introspection, where the server has an endpoint: the issuer whose metadata names it,
   * and whether its answer follows the token (false: it says active to any token).
   */
  readonly introspection?: { readonly issuer: string; readonly endpoint: string; readonly followsToken: boolean }
  /** Present when the access tokens are JWTs with `exp`. */
  readonly jwtExpiry?: JwtExpiryControl
  /** Stops listening for good. */
  close(): Promise<void>
}
