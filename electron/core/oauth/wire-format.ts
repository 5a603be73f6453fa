/**
 * Byte-exact pieces of what goes on the wire and what comes back that oauth4webapi does not do the
 * way independent servers need: the HTTP Basic client credentials and the `exp` of a JWT access token.
 */
import { Buffer } from 'node:buffer'

/**
 * Percent-encodes everything outside the RFC 3986 unreserved set (ALPHA DIGIT - . _ ~), a space as
 * %20, non-ASCII as its UTF-8 bytes. RFC 6749 2.3.1 asks for form-encoding; this encoding decodes to
 * the same value under form-decoding and percent-decoding alike (it never produces `+`), and leaves
 * plain ids such as `desk-client` untouched for servers that compare the raw Basic value.
 * Returns null for a string that is not well-formed UTF-16 (an unpaired surrogate).
 */
export function encodeCredential(value: string): string | null {
  try {
    return encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
  } catch {
    return null
  }
}

/** The Authorization header value for HTTP Basic client authentication, or null (see encodeCredential). */
export function basicCredentials(clientId: string, clientSecret: string): string | null {
  const id = encodeCredential(clientId)
  const secret = encodeCredential(clientSecret)
  if (id === null || secret === null) return null
  return `Basic ${Buffer.from(`${id}:${secret}`, 'ascii').toString('base64')}`
}

const MAX_JWT_LENGTH = 64 * 1024

/**
 * The `exp` claim of a JWT access token, in ms since the epoch; null when the token is not a JWS
 * compact serialisation with a JSON payload carrying a numeric exp. The signature is not checked:
 * the value only decides when to renew, and a wrong one costs an early or a 401-driven renewal.
 */
export function jwtExpiry(accessToken: string): number | null {
  if (accessToken.length > MAX_JWT_LENGTH) return null
  const parts = accessToken.split('.')
  if (parts.length !== 3 || !parts[1] || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return null
  const exp = (claims as { exp?: unknown }).exp
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) return null
  const ms = exp * 1000
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : null
}
