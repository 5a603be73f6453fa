import { describe, expect, it } from 'vitest'
import { appError, serverErrorCode, signInNeeded as signInNeededError } from '../../../shared/errors'
import type { TokenMeta, TokenStatus } from '../../../shared/token'
import { statusView, worstTone, type StatusViewer } from '../../../shared/token-status'

const locale = 'en-GB'
// 09:00 local time; the token below expires 09:47.
const now = new Date(2026, 10, 26, 9, 0, 0).getTime()
const minute = 60_000

const token = (patch: Partial<TokenMeta> = {}): TokenMeta => ({
  tokenType: 'Bearer',
  grantedScope: null,
  requestedScope: '',
  obtainedAt: now - 13 * minute,
  expiresAt: now + 47 * minute,
  hasRefreshToken: true,
  ...patch,
})

const status = (patch: Partial<TokenStatus> = {}): TokenStatus => ({
  datasourceId: 'ds',
  state: 'idle',
  token: token(),
  renewAt: now + 35 * minute,
  nextAttemptAt: null,
  attempt: 0,
  lastError: null,
  updatedAt: now,
  ...patch,
})

const passwordRejected = appError('oauth', 'invalid_grant', 'The server did not accept the username or password (invalid_grant).')
const signInNeeded = signInNeededError(passwordRejected)
const secretMissing = appError('keychain', 'secret-missing', 'The stored client secret is missing from the OS keychain.')
const clientRejected = appError('oauth', 'invalid_client', 'The server did not accept the client credentials (invalid_client).')
const serverDown = appError('network', 'refused', 'The token server refused the connection.', { transient: true })
const serverError = appError('oauth', serverErrorCode('server_error'), 'The server failed.', { transient: true, httpStatus: 503 })

const view = (patch: Partial<TokenStatus>, viewer: StatusViewer = 'scheduler', authenticated = true) =>
  statusView({ status: status(patch), authenticated, viewer }, now, locale)

describe('statusView: usability and renewal health from stored state', () => {
  // The mapping table: stored state -> (usability, renewal health, tone, line) as the app's window and tray show it.
  const table: ReadonlyArray<[string, Partial<TokenStatus>, string, string, string, string]> = [
    ['healthy', {}, 'valid', 'scheduled', 'ok', 'Valid until 09:47 - renews 09:35 (in 35 min)'],
    ['renewing', { state: 'renewing', renewAt: null }, 'valid', 'renewing', 'ok', 'Valid until 09:47 - renewing now'],
    [
      'retrying with a valid token',
      { state: 'retrying', nextAttemptAt: now + 12_000, attempt: 2, lastError: serverDown },
      'valid',
      'retrying',
      'attention',
      'Valid until 09:47 - renewal failing: server unreachable, next attempt in 12 s',
    ],
    [
      'password rejected with a valid token',
      { state: 'action-needed', renewAt: null, lastError: passwordRejected },
      'valid',
      'needs-user',
      'attention',
      'Valid until 09:47 - renewal failing: password rejected',
    ],
    [
      'sign-in needed with a valid token',
      { state: 'sign-in-needed', renewAt: null, lastError: signInNeeded },
      'valid',
      'needs-user',
      'attention',
      'Valid until 09:47 - renewal needs you to sign in',
    ],
    [
      'secret missing',
      { state: 'action-needed', renewAt: null, lastError: secretMissing },
      'valid',
      'needs-user',
      'attention',
      'Valid until 09:47 - renewal stopped: a stored secret is missing',
    ],
    [
      'password rejected, token expired',
      { state: 'action-needed', renewAt: null, lastError: passwordRejected, token: token({ obtainedAt: now - 70 * minute, expiresAt: now - 10 * minute }) },
      'expired',
      'needs-user',
      'error',
      'Expired 08:50 - renewal failing: password rejected',
    ],
    [
      'server errors, token expired',
      { state: 'retrying', nextAttemptAt: now + 4 * minute, lastError: serverError, token: token({ obtainedAt: now - 70 * minute, expiresAt: now - 10 * minute }) },
      'expired',
      'retrying',
      'error',
      'Expired 08:50 - renewal failing: server error (HTTP 503), next attempt in 4 min',
    ],
    ['no expiry', { renewAt: null, token: token({ expiresAt: null }) }, 'no-expiry', 'not-renewable', 'ok', 'Valid, no expiry given - not renewed on a timer (no expiry)'],
    ['never connected', { token: null, renewAt: null }, 'none', 'not-started', 'none', 'Not connected - no token yet'],
    ['sign-in needed, no token', { token: null, renewAt: null, state: 'sign-in-needed', lastError: signInNeeded }, 'none', 'needs-user', 'error', 'No token - renewal needs you to sign in'],
  ]

  it.each(table)('%s', (_name, patch, usability, renewal, tone, line) => {
    const result = view(patch)
    expect(result.usability.kind).toBe(usability)
    expect(result.renewal.kind).toBe(renewal)
    expect(result.tone).toBe(tone)
    expect(result.line).toBe(line)
  })

  it('keeps colour with usability: a valid token with failing renewal is amber, never red', () => {
    for (const lastError of [passwordRejected, signInNeeded, secretMissing, clientRejected]) {
      expect(view({ state: lastError === signInNeeded ? 'sign-in-needed' : 'action-needed', lastError, renewAt: null }).tone).toBe('attention')
    }
  })

  it('names why renewal needs the user', () => {
    expect(view({ state: 'action-needed', lastError: passwordRejected }).renewal).toMatchObject({ kind: 'needs-user', reason: 'password-rejected' })
    expect(view({ state: 'sign-in-needed', lastError: signInNeeded }).renewal).toMatchObject({ reason: 'sign-in' })
    expect(view({ state: 'action-needed', lastError: secretMissing }).renewal).toMatchObject({ reason: 'secret-missing' })
    expect(view({ state: 'action-needed', lastError: clientRejected }).renewalText).toBe('renewal failing: client not accepted')
    expect(view({ state: 'action-needed', lastError: passwordRejected }).needsYou).toBe(true)
    expect(view({ state: 'retrying', lastError: serverDown }).needsYou).toBe(false)
  })

  it('never says a next attempt lies in the past', () => {
    const overdue = view({ state: 'retrying', nextAttemptAt: now - 19_000, lastError: serverDown })
    expect(overdue.renewalText).toBe('renewal failing: server unreachable, retrying now')
    expect(overdue.line).not.toMatch(/ago/)
  })

  it('for a command (no scheduler) says what will happen instead of a next attempt', () => {
    const retrying = view({ state: 'retrying', nextAttemptAt: now - 19_000, lastError: serverDown }, 'command')
    expect(retrying.renewal).toMatchObject({ kind: 'retrying', nextAttemptAt: null })
    expect(retrying.line).toBe('Valid until 09:47 - renewal failing: server unreachable; retried on the next `datasource-desk token` or when the app runs')
    const healthy = view({ renewAt: null }, 'command')
    // The earliest point the app or `token` renews: 5 min before a token of an hour expires.
    expect(healthy.line).toBe('Valid until 09:47 - renews from 09:42 on the next `datasource-desk token` or when the app runs')
    expect(view({ state: 'renewing' }, 'command').renewalText).toBe('being renewed by another process')
  })

  it('says the refresh token is not accepted exactly when the renewer recorded the refusal with the token', () => {
    expect(view({}).refreshToken).toBe('held')
    const refused = token({ refreshRejectedAt: Date.UTC(2026, 11, 1, 8, 40) })
    expect(view({ token: refused, state: 'sign-in-needed', lastError: signInNeeded }).refreshToken).toBe('not-accepted')
    expect(view({ token: refused, state: 'action-needed', lastError: passwordRejected }).refreshToken).toBe('not-accepted')
    // Refused, then the password grant could not reach the server: retrying, and still not accepted.
    expect(view({ token: refused, state: 'retrying', lastError: serverDown }).refreshToken).toBe('not-accepted')
    // An OAuth refusal that is not about the refresh token (the client) says nothing about it.
    expect(view({ state: 'action-needed', lastError: clientRejected }).refreshToken).toBe('held')
    // The secret was missing before the refresh token was ever sent: it may still be good.
    expect(view({ state: 'action-needed', lastError: secretMissing }).refreshToken).toBe('held')
    expect(view({ token: token({ hasRefreshToken: false }) }).refreshToken).toBe('none')
    expect(view({ token: null }).refreshToken).toBeNull()
  })

  it('has nothing to say about renewal without authentication', () => {
    const none = view({ token: null }, 'scheduler', false)
    expect(none).toMatchObject({ tone: 'none', needsYou: false, line: 'No authentication' })
    expect(none.renewal.kind).toBe('no-authentication')
  })

  it('short words for table columns', () => {
    expect(view({}).usabilityWord).toBe('Valid')
    expect(view({}).renewalWord).toBe('scheduled')
    expect(view({ state: 'action-needed', lastError: passwordRejected }).renewalWord).toBe('password rejected')
    expect(view({ token: null }).usabilityWord).toBe('Not connected')
  })

  it('takes the worst tone for the tray icon, ignoring neutral ones', () => {
    expect(worstTone([])).toBe('ok')
    expect(worstTone(['none', 'none'])).toBe('ok')
    expect(worstTone(['ok', 'attention', 'none'])).toBe('attention')
    expect(worstTone(['attention', 'error'])).toBe('error')
  })
})
