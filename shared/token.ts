/**
 * The token status model and its arithmetic: when to renew, how long to back off, and how to say
 * it in words. Pure: the clock (`now`) and randomness (`random`, 0..1) are always passed in.
 */
import type { AppError } from './errors'

/**
 * Where a token's expiry came from: the response's expires_in, the `exp` claim of a JWT access
 * token (for servers that send no expires_in), or nowhere ("no expiry given").
 */
export type ExpirySource = 'expires_in' | 'jwt-exp' | 'none'

/**
 * What became of an OpenID Connect id_token in the token response. The product never uses it, so it
 * never makes a response fail: it is validated only against an issuer known from discovery.
 */
export type IdTokenCheck = 'none' | 'ignored' | 'validated' | 'invalid'

export const idTokenLabels: Readonly<Record<IdTokenCheck, string>> = {
  none: 'none',
  ignored: 'ignored: not used, and not validated without an issuer from discovery',
  validated: 'validated against the discovered issuer (not used)',
  invalid: 'did not validate against the discovered issuer; ignored (not used)',
}

/** What SQLite keeps next to a datasource about its token. The token itself is in the keychain. */
export interface TokenMeta {
  /** As the server sent it, e.g. "Bearer" (compared case-insensitively). */
  readonly tokenType: string
  /** The scope the server granted; null when it sent none (RFC 6749 5.1: then as requested). */
  readonly grantedScope: string | null
  readonly requestedScope: string
  /** When the token request was sent (ms since epoch); expiry counts from here. */
  readonly obtainedAt: number
  /** null: the server sent no expires_in, so the expiry is unknown (not "never"). */
  readonly expiresAt: number | null
  readonly hasRefreshToken: boolean
  /** Where `expiresAt` came from; absent for tokens stored before this was recorded. */
  readonly expiresFrom?: ExpirySource
  /** Absent for tokens stored before this was recorded. */
  readonly idToken?: IdTokenCheck
  /**
   * When the token endpoint refused this token's refresh token (the renewer records it); absent
   * while it was not refused. A new token starts without it.
   */
  readonly refreshRejectedAt?: number
}

/** What the renewal machinery is doing for a datasource. */
export type RenewalState = 'idle' | 'renewing' | 'retrying' | 'action-needed' | 'sign-in-needed'

export interface TokenStatus {
  readonly datasourceId: string
  readonly state: RenewalState
  readonly token: TokenMeta | null
  /** When the scheduler plans the next renewal (ms since epoch), if any. */
  readonly renewAt: number | null
  /** While retrying: when the next attempt is due. */
  readonly nextAttemptAt: number | null
  /** Failed attempts in a row. */
  readonly attempt: number
  readonly lastError: AppError | null
  readonly updatedAt: number
}

/**
 * The one-word kind of earlier versions (data-kind, CLI --json `kind`), kept for scripts. What a
 * user reads comes from shared/token-status.ts, in two dimensions.
 */
export type StatusKind =
  | 'not-connected'
  | 'valid'
  | 'expiring-soon'
  | 'expired'
  | 'no-expiry'
  | 'renewing'
  | 'retrying'
  | 'action-needed'
  | 'sign-in-needed'

/** The tray icon's three states. */
export type Severity = 'ok' | 'attention' | 'error'

export const RENEWAL = {
  /**
   * Renew when this fraction of the lifetime is left ... (70-80% of a short token's lifetime has
   * passed; the CLI hands a token out until the earliest of these points).
   */
  marginFraction: 0.25,
  /** ... plus or minus this much of the lifetime, so tokens issued together spread out ... */
  jitter: 0.05,
  /**
   * ... but never more than a margin in time: an hour-long token renewed at 75% costs 1.33
   * requests per lifetime, one renewed 2-5 min before its expiry about 1.06. The margin is picked
   * at random between the two bounds (the jitter of long tokens). The lower bound leaves room for
   * the slowest renewal that still succeeds: a 15 s token request, keychain calls bounded at 5 s
   * each, and the first transient retries (5 + 10 + 20 s), before the old token expires.
   */
  minMarginMs: 2 * 60_000,
  maxMarginMs: 5 * 60_000,
  /** Never renew sooner than this after obtaining a token: no tight loop for tiny lifetimes. */
  minIntervalMs: 1_000,
  /** "Expiring soon" once less than this fraction of the lifetime is left. */
  soonFraction: 0.2,
  backoffBaseMs: 5_000,
  backoffCapMs: 5 * 60_000,
  /** A Retry-After longer than this is capped, so a bad header cannot park renewal for days. */
  retryAfterCapMs: 60 * 60_000,
} as const

export function notConnected(datasourceId: string, now: number): TokenStatus {
  return { datasourceId, state: 'idle', token: null, renewAt: null, nextAttemptAt: null, attempt: 0, lastError: null, updatedAt: now }
}

/**
 * When to renew a token: when a margin of its lifetime is left, the smaller of 20-30% of the
 * lifetime and 2-5 min (random picks both; 0 is the earliest point, 1 the latest), and never
 * earlier than `minIntervalMs` after it was obtained. Short tokens renew at 70-80% of their
 * lifetime, long ones a few minutes before they expire. Tokens without an expiry are not renewed
 * on a timer.
 */
export function renewalTime(token: Pick<TokenMeta, 'obtainedAt' | 'expiresAt'>, random: number): number | null {
  if (token.expiresAt === null) return null
  const lifetime = Math.max(0, token.expiresAt - token.obtainedAt)
  const r = clamp01(random)
  const fractionMargin = lifetime * (RENEWAL.marginFraction + (1 - 2 * r) * RENEWAL.jitter)
  const timeMargin = RENEWAL.maxMarginMs - r * (RENEWAL.maxMarginMs - RENEWAL.minMarginMs)
  const margin = Math.min(fractionMargin, timeMargin)
  return Math.max(token.obtainedAt + lifetime - margin, token.obtainedAt + RENEWAL.minIntervalMs)
}

/**
 * Delay before retry number `attempt` (1-based) after a transient failure: 5 s doubling up to
 * 5 min, with +-20% jitter, never above the cap. A server's Retry-After wins when given.
 */
export function backoffDelay(attempt: number, random: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    // The floor stops a server that keeps answering "Retry-After: 0" from driving a tight loop.
    return Math.round(Math.min(Math.max(retryAfterMs, RENEWAL.minIntervalMs), RENEWAL.retryAfterCapMs))
  }
  // A NaN attempt would otherwise turn the whole delay into NaN, which a timer treats as 0.
  const exponent = Number.isFinite(attempt) ? Math.max(0, Math.min(attempt - 1, 30)) : 0
  const base = Math.min(RENEWAL.backoffBaseMs * 2 ** exponent, RENEWAL.backoffCapMs)
  const jittered = base * (0.8 + clamp01(random) * 0.4)
  return Math.round(Math.min(jittered, RENEWAL.backoffCapMs))
}

/** Parses an HTTP Retry-After value (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined
  const trimmedValue = value.trim()
  if (/^\d+$/.test(trimmedValue)) return Number(trimmedValue) * 1000
  // An HTTP date always names a day or month; without this, V8's lenient Date.parse reads
  // "1.5" or "-5" as dates in 2001 and the retry would fire at once.
  if (!/[a-z]/i.test(trimmedValue)) return undefined
  const date = Date.parse(trimmedValue)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export function statusKind(status: TokenStatus, now: number): StatusKind {
  switch (status.state) {
    case 'renewing':
    case 'retrying':
    case 'action-needed':
    case 'sign-in-needed':
      return status.state
    case 'idle':
      break
  }
  const token = status.token
  if (!token) return 'not-connected'
  if (token.expiresAt === null) return 'no-expiry'
  if (token.expiresAt <= now) return 'expired'
  const lifetime = token.expiresAt - token.obtainedAt
  return token.expiresAt - now <= lifetime * RENEWAL.soonFraction ? 'expiring-soon' : 'valid'
}

/** True where the locale reads the clock in 12 hours ("9:41 AM"), false for 24 ("09:41"). */
function uses12Hours(locale?: string): boolean {
  const cycle = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle
  return cycle === 'h11' || cycle === 'h12'
}

/** "14:32" or "9:41 AM" today, otherwise "27 Nov 14:32" (local time). */
export function formatClock(at: number, now: number, locale?: string): string {
  const date = new Date(at)
  // An expiry stored by a version that believed any expires_in (1e308 s) is not a date.
  if (Number.isNaN(date.getTime())) return 'a time too far away to show'
  const sameDay = new Date(now).toDateString() === date.toDateString()
  // "09:41 AM" is nobody's way of writing the time: a 12-hour clock has no leading zero.
  const time = date.toLocaleTimeString(locale, { hour: uses12Hours(locale) ? 'numeric' : '2-digit', minute: '2-digit' })
  if (sameDay) return time
  const day = date.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: date.getFullYear() === new Date(now).getFullYear() ? undefined : 'numeric' })
  return `${day} ${time}`
}

/** "in 59 min", "in 2 h 5 min", "in 3 days", "40 s ago". */
export function formatRelative(at: number, now: number): string {
  const delta = at - now
  const abs = Math.abs(delta)
  // Whole units elapsed, never rounded up: two tokens obtained seconds apart read the same ("in 59
  // min") instead of one saying "in 1 h", and no reading is impossible ("60 s", "1 h 60 min").
  const seconds = Math.floor(abs / 1000)
  const totalMinutes = Math.floor(abs / 60_000)
  let text: string
  if (seconds < 60) text = `${seconds} s`
  else if (totalMinutes < 60) text = `${totalMinutes} min`
  else if (totalMinutes < 48 * 60) {
    const hours = Math.floor(totalMinutes / 60)
    const minutes = totalMinutes % 60
    text = minutes ? `${hours} h ${minutes} min` : `${hours} h`
  } else text = `${Math.floor(abs / 86_400_000)} days`
  return delta >= 0 ? `in ${text}` : `${text} ago`
}

/** "expires 14:32, in 59 min", "expired 14:32, 3 min ago", or "no expiry given". */
export function formatExpiry(expiresAt: number | null, now: number, locale?: string): string {
  if (expiresAt === null) return 'no expiry given'
  const verb = expiresAt > now ? 'expires' : 'expired'
  return `${verb} ${formatClock(expiresAt, now, locale)}, ${formatRelative(expiresAt, now)}`
}

/** Where the expiry came from, in words for token details; '' for tokens stored before it was recorded. */
export function expirySourceText(token: Pick<TokenMeta, 'expiresFrom'>): string {
  switch (token.expiresFrom) {
    case 'expires_in':
      return 'from the response (expires_in)'
    case 'jwt-exp':
      return 'from the access token (JWT exp; the response had no expires_in)'
    case 'none':
      return 'the server gave none, so it is not renewed on a timer; when the API answers 401 to it, Test connection renews it once and asks again'
    default:
      return ''
  }
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5
}
