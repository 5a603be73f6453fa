/**
 * The one mapping from stored state to what a user is told about a datasource (issue 12, item 7).
 * Two separate questions: can the token be used right now (usability), and is renewal working
 * (renewal health). A valid token whose renewal fails is still usable: amber, not red. The GUI
 * list rows, the Overview, the tray and the CLI `list` and `status` all read this; nothing else
 * turns a TokenStatus into words. Pure: the time is passed in.
 */
import type { AppError } from './errors'
import { formatClock, formatRelative, RENEWAL, renewalTime, statusKind, type StatusKind, type TokenStatus } from './token'

/** Can the stored access token be used now? */
export type Usability =
  | { readonly kind: 'valid'; readonly expiresAt: number; readonly expiringSoon: boolean }
  /** The server gave no expiry: usable until an API refuses it. */
  | { readonly kind: 'no-expiry' }
  | { readonly kind: 'expired'; readonly expiresAt: number }
  | { readonly kind: 'none' }

/** Why renewal cannot go on without the user. */
export type NeedsUserReason = 'sign-in' | 'password-rejected' | 'secret-missing' | 'client-rejected' | 'settings'

/** Is renewal working? */
export type RenewalHealth =
  /** `at`: when the running scheduler renews; for the CLI the earliest point the app or `token` may. */
  | { readonly kind: 'scheduled'; readonly at: number | null }
  | { readonly kind: 'renewing' }
  /** `nextAttemptAt` only when a running process (this one) will make that attempt. */
  | { readonly kind: 'retrying'; readonly nextAttemptAt: number | null; readonly attempt: number; readonly error: AppError | null }
  | { readonly kind: 'needs-user'; readonly reason: NeedsUserReason; readonly error: AppError | null }
  | { readonly kind: 'not-renewable'; readonly reason: 'no-expiry' }
  /** No token was ever obtained (never tested, or saved without a test). */
  | { readonly kind: 'not-started' }
  | { readonly kind: 'no-authentication' }

/** The colour: follows usability. 'none' is neutral grey (no authentication, never connected). */
export type StatusTone = 'ok' | 'attention' | 'error' | 'none'

/** What became of the refresh token, for "Refresh token" lines. null without a token. */
export type RefreshTokenState = 'held' | 'not-accepted' | 'none'

/** Who will act on the stored state next. */
export type StatusViewer =
  /** The app: its scheduler holds this datasource and makes the next attempt itself. */
  | 'scheduler'
  /** A CLI command: it only reads what is stored; the app (if it runs) or the next `token` renews. */
  | 'command'

export interface StatusFacts {
  readonly status: TokenStatus
  /** False for a datasource without authentication: there is no token to keep. */
  readonly authenticated: boolean
  readonly viewer: StatusViewer
}

export interface StatusView {
  readonly usability: Usability
  readonly renewal: RenewalHealth
  readonly tone: StatusTone
  /** Only the user can move things on: renewal stopped for a reason they must fix, or the token is gone. */
  readonly needsYou: boolean
  /** "Valid until 09:47", "Expired 08:12", "No token". */
  readonly usabilityText: string
  /** "renews 09:32", "renewal failing: password rejected", "renewal failing: server unreachable, next attempt in 12 s". */
  readonly renewalText: string
  /** One or two words for table columns: "Valid", "Expired", "No token". */
  readonly usabilityWord: string
  /** One or two words for table columns: "scheduled", "retrying", "password rejected". */
  readonly renewalWord: string
  /** Both: "Valid until 09:47 - renewal failing: password rejected". */
  readonly line: string
  readonly refreshToken: RefreshTokenState | null
  /** The one-word kind of earlier versions (data-kind, --json `kind`), kept for scripts and tests. */
  readonly legacyKind: StatusKind
}

export const CLI_RENEWS_WHEN = 'on the next `datasource-desk token` or when the app runs'

export function statusView(facts: StatusFacts, now: number, locale?: string): StatusView {
  const { status, viewer } = facts
  if (!facts.authenticated) {
    return {
      usability: { kind: 'none' },
      renewal: { kind: 'no-authentication' },
      tone: 'none',
      needsYou: false,
      usabilityText: 'No authentication',
      renewalText: 'no token to keep',
      usabilityWord: 'No authentication',
      renewalWord: '-',
      line: 'No authentication',
      refreshToken: null,
      legacyKind: 'not-connected',
    }
  }
  const usability = usabilityOf(status, now)
  const renewal = renewalOf(status, usability, viewer, now)
  const usabilityText = usabilityTextOf(usability, renewal, now, locale)
  const renewalText = renewalTextOf(renewal, viewer, now, locale)
  return {
    usability,
    renewal,
    tone: toneOf(usability, renewal),
    needsYou: renewal.kind === 'needs-user',
    usabilityText,
    renewalText,
    usabilityWord: usabilityWordOf(usability, renewal),
    renewalWord: renewalWordOf(renewal),
    line: `${usabilityText} - ${renewalText}`,
    refreshToken: refreshTokenOf(status),
    legacyKind: statusKind(status, now),
  }
}

function usabilityOf(status: TokenStatus, now: number): Usability {
  const token = status.token
  if (!token) return { kind: 'none' }
  if (token.expiresAt === null) return { kind: 'no-expiry' }
  if (token.expiresAt <= now) return { kind: 'expired', expiresAt: token.expiresAt }
  const lifetime = token.expiresAt - token.obtainedAt
  return { kind: 'valid', expiresAt: token.expiresAt, expiringSoon: token.expiresAt - now <= lifetime * RENEWAL.soonFraction }
}

function renewalOf(status: TokenStatus, usability: Usability, viewer: StatusViewer, now: number): RenewalHealth {
  switch (status.state) {
    case 'renewing':
      return { kind: 'renewing' }
    case 'retrying':
      return {
        kind: 'retrying',
        // A command makes no attempt, and a stored time may belong to a process that is gone.
        nextAttemptAt: viewer === 'scheduler' ? status.nextAttemptAt : null,
        attempt: status.attempt,
        error: status.lastError,
      }
    case 'sign-in-needed':
      return { kind: 'needs-user', reason: 'sign-in', error: status.lastError }
    case 'action-needed':
      return { kind: 'needs-user', reason: needsUserReason(status.lastError), error: status.lastError }
    case 'idle':
      break
  }
  const token = status.token
  if (!token) return { kind: 'not-started' }
  if (usability.kind === 'no-expiry') return { kind: 'not-renewable', reason: 'no-expiry' }
  if (viewer === 'scheduler') return { kind: 'scheduled', at: status.renewAt ?? (usability.kind === 'expired' ? now : null) }
  return { kind: 'scheduled', at: renewalTime(token, 0) }
}

function needsUserReason(error: AppError | null): NeedsUserReason {
  if (!error) return 'settings'
  if (error.kind === 'sign-in-needed') return 'sign-in'
  if (error.kind === 'oauth' && error.code === 'invalid_grant') return 'password-rejected'
  if (error.kind === 'oauth' && error.code === 'invalid_client') return 'client-rejected'
  if (error.kind === 'keychain' && error.code === 'secret-missing') return 'secret-missing'
  return 'settings'
}

function toneOf(usability: Usability, renewal: RenewalHealth): StatusTone {
  const troubled = renewal.kind === 'retrying' || renewal.kind === 'needs-user'
  switch (usability.kind) {
    case 'valid':
      return troubled || usability.expiringSoon ? 'attention' : 'ok'
    case 'no-expiry':
      return troubled ? 'attention' : 'ok'
    case 'expired':
      // Unusable is red, whatever renewal is doing about it.
      return 'error'
    case 'none':
      if (renewal.kind === 'needs-user') return 'error'
      return renewal.kind === 'retrying' ? 'attention' : 'none'
  }
}

function usabilityTextOf(usability: Usability, renewal: RenewalHealth, now: number, locale?: string): string {
  switch (usability.kind) {
    case 'valid':
      return `Valid until ${formatClock(usability.expiresAt, now, locale)}`
    case 'no-expiry':
      return 'Valid, no expiry given'
    case 'expired':
      return `Expired ${formatClock(usability.expiresAt, now, locale)}`
    case 'none':
      return renewal.kind === 'not-started' ? 'Not connected' : 'No token'
  }
}

function usabilityWordOf(usability: Usability, renewal: RenewalHealth): string {
  switch (usability.kind) {
    case 'valid':
      return usability.expiringSoon ? 'Expiring soon' : 'Valid'
    case 'no-expiry':
      return 'Valid (no expiry)'
    case 'expired':
      return 'Expired'
    case 'none':
      return renewal.kind === 'not-started' ? 'Not connected' : 'No token'
  }
}

const NEEDS_USER_WORD: Readonly<Record<NeedsUserReason, string>> = {
  'sign-in': 'sign-in needed',
  'password-rejected': 'password rejected',
  'secret-missing': 'secret missing',
  'client-rejected': 'client not accepted',
  settings: 'needs you',
}

function renewalWordOf(renewal: RenewalHealth): string {
  switch (renewal.kind) {
    case 'scheduled':
      return 'scheduled'
    case 'renewing':
      return 'renewing'
    case 'retrying':
      return 'retrying'
    case 'needs-user':
      return NEEDS_USER_WORD[renewal.reason]
    case 'not-renewable':
      return 'not on a timer'
    case 'not-started':
    case 'no-authentication':
      return '-'
  }
}

const NEEDS_USER_TEXT: Readonly<Record<NeedsUserReason, string>> = {
  'sign-in': 'renewal needs you to sign in',
  'password-rejected': 'renewal failing: password rejected',
  'secret-missing': 'renewal stopped: a stored secret is missing',
  'client-rejected': 'renewal failing: client not accepted',
  settings: 'renewal stopped: needs you',
}

function renewalTextOf(renewal: RenewalHealth, viewer: StatusViewer, now: number, locale?: string): string {
  switch (renewal.kind) {
    case 'scheduled':
      if (viewer === 'command') return renewal.at === null ? `renews ${CLI_RENEWS_WHEN}` : `renews from ${formatClock(renewal.at, now, locale)} ${CLI_RENEWS_WHEN}`
      if (renewal.at === null) return 'renewal scheduled'
      return renewal.at <= now ? 'renews now' : `renews ${formatClock(renewal.at, now, locale)} (${formatRelative(renewal.at, now)})`
    case 'renewing':
      return viewer === 'command' ? 'being renewed by another process' : 'renewing now'
    case 'retrying': {
      const failing = `renewal failing: ${renewal.error ? shortReason(renewal.error) : 'temporary error'}`
      if (viewer === 'command') return `${failing}; retried ${CLI_RENEWS_WHEN}`
      // Never "next attempt 19 s ago": an overdue attempt is about to run (the machine slept, a burst).
      if (renewal.nextAttemptAt === null || renewal.nextAttemptAt <= now) return `${failing}, retrying now`
      return `${failing}, next attempt ${formatRelative(renewal.nextAttemptAt, now)}`
    }
    case 'needs-user':
      return NEEDS_USER_TEXT[renewal.reason]
    case 'not-renewable':
      return 'not renewed on a timer (no expiry)'
    case 'not-started':
      return 'no token yet'
    case 'no-authentication':
      return 'no token to keep'
  }
}

/** A few words for why a renewal attempt failed, for status lines (the full message is in details). */
export function shortReason(error: AppError): string {
  if (error.httpStatus === 429) return 'server busy (HTTP 429)'
  if (error.httpStatus !== undefined && error.httpStatus >= 500) return `server error (HTTP ${error.httpStatus})`
  switch (error.kind) {
    case 'network':
      return error.code === 'timeout' ? 'no answer in time' : 'server unreachable'
    case 'keychain':
      return error.code === 'locked' ? 'keychain locked' : 'keychain unavailable'
    case 'storage':
      return error.code === 'lease-busy' ? 'another process is renewing' : 'token could not be stored'
    case 'invalid-response':
      return 'unusable server answer'
    default:
      return error.code
  }
}

/** A refresh token is "held" until the renewer records that the server refused it. */
function refreshTokenOf(status: TokenStatus): RefreshTokenState | null {
  const token = status.token
  if (!token) return null
  if (!token.hasRefreshToken) return 'none'
  return token.refreshRejectedAt === undefined ? 'held' : 'not-accepted'
}

export const refreshTokenLabels: Readonly<Record<RefreshTokenState, string>> = {
  held: 'Held: renewal uses it first',
  'not-accepted': 'Not accepted by the server at the last renewal',
  none: 'None: renewal uses the password grant',
}

/** The tray icon and the app's attention count: the worst tone, ignoring neutral ones. */
export function worstTone(tones: Iterable<StatusTone>): Exclude<StatusTone, 'none'> {
  let worst: Exclude<StatusTone, 'none'> = 'ok'
  for (const tone of tones) {
    if (tone === 'error') return 'error'
    if (tone === 'attention') worst = 'attention'
  }
  return worst
}
