/**
 * Decodes a JWT's header and a few claims for the Overview's "Token details". Only the decoded
 * facts leave the main process: never the signature, never the token text. The signature is not
 * checked (the app is not the token's audience); the window says so.
 */
import type { JwtDetails, JwtClaimValue } from '../../shared/token-actions'

/** The claims shown; others may carry personal data that has no business on screen. */
const SHOWN_CLAIMS = ['iss', 'sub', 'aud', 'scope', 'scp', 'exp', 'iat', 'nbf', 'client_id'] as const
const SHOWN_HEADER = ['alg', 'typ', 'kid'] as const
const MAX_TEXT = 300
/** Control, bidi and zero-width characters: text from a token is untrusted. */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g

function decodeSegment(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function clean(value: unknown): JwtClaimValue | undefined {
  if (typeof value === 'string') {
    const text = value.replace(UNSAFE, '')
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text
  }
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'boolean') return value
  if (Array.isArray(value)) {
    const items = value.slice(0, 20).map(clean).filter((item): item is string | number | boolean => item !== undefined && !Array.isArray(item))
    return items.map(String)
  }
  return undefined
}

function pick(source: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, JwtClaimValue> {
  const picked: Record<string, JwtClaimValue> = {}
  for (const key of keys) {
    const value = clean(source[key])
    if (value !== undefined) picked[key] = value
  }
  return picked
}

/** The decoded header and shown claims of a JWS-compact token; null when it is not a JWT (opaque tokens are common). */
export function decodeJwt(token: string): JwtDetails | null {
  const parts = token.split('.')
  // A JWS has three parts; a JWE (five) is encrypted, and its claims are not ours to read.
  if (parts.length !== 3) return null
  const [headerPart = '', payloadPart = ''] = parts
  const header = decodeSegment(headerPart)
  const payload = decodeSegment(payloadPart)
  if (!header || !payload || typeof header.alg !== 'string') return null
  return { header: pick(header, SHOWN_HEADER), claims: pick(payload, SHOWN_CLAIMS) }
}
