import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AppError } from '../../../shared/errors'
import {
  backoffDelay,
  formatClock,
  formatExpiry,
  formatRelative,
  notConnected,
  parseRetryAfter,
  RENEWAL,
  renewalTime,
  statusKind,
  type TokenMeta,
  type TokenStatus,
} from '../../../shared/token'
import { clockPattern } from '../../support/clock-pattern'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0)

function lifetime(ms: number | null, obtainedAt = T0): Pick<TokenMeta, 'obtainedAt' | 'expiresAt'> {
  return { obtainedAt, expiresAt: ms === null ? null : obtainedAt + ms }
}

describe('renewalTime', () => {
  it('renews a 2 s token between 1.4 s and 1.6 s after it was requested', () => {
    expect(renewalTime(lifetime(2 * SECOND), 0)).toBe(T0 + 1_400)
    expect(renewalTime(lifetime(2 * SECOND), 0.5)).toBe(T0 + 1_500)
    expect(renewalTime(lifetime(2 * SECOND), 1)).toBe(T0 + 1_600)
  })

  it('renews a 1 h token 2-5 min before it expires, not at 75% of its lifetime', () => {
    expect(renewalTime(lifetime(HOUR), 0)).toBe(T0 + 55 * MINUTE)
    expect(renewalTime(lifetime(HOUR), 0.5)).toBe(T0 + 56.5 * MINUTE)
    expect(renewalTime(lifetime(HOUR), 1)).toBe(T0 + 58 * MINUTE)
  })

  it('renews a 30 day token 2-5 min before it expires', () => {
    expect(renewalTime(lifetime(30 * DAY), 0)).toBe(T0 + 30 * DAY - 5 * MINUTE)
    expect(renewalTime(lifetime(30 * DAY), 1)).toBe(T0 + 30 * DAY - 2 * MINUTE)
  })

  it('switches from the fraction to the time margin where 25% of the lifetime is a few minutes', () => {
    // 10 min: 20-30% is 2-3 min, smaller than 2-5 min except at the latest point.
    expect(renewalTime(lifetime(10 * MINUTE), 0)).toBe(T0 + 7 * MINUTE)
    expect(renewalTime(lifetime(10 * MINUTE), 1)).toBe(T0 + 8 * MINUTE)
    // 8 min: the 20% margin (96 s) is below 2 min, so the fraction decides.
    expect(renewalTime(lifetime(8 * MINUTE), 1)).toBe(T0 + 0.8 * 8 * MINUTE)
  })

  it('keeps 70-80% for short lifetimes and 2-5 min of margin for long ones, for any lifetime and random', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2 * SECOND, max: 400 * DAY }), fc.double({ min: 0, max: 1, noNaN: true }), (ms, random) => {
        const at = renewalTime(lifetime(ms), random)!
        const left = T0 + ms - at
        // Never later than today's 80% point or 2 min before the expiry, whichever leaves more.
        expect(left).toBeGreaterThanOrEqual(Math.min(ms * 0.2, 2 * MINUTE) - 1e-3)
        // Never earlier than 70% of the lifetime, nor more than 5 min ahead.
        expect(left).toBeLessThanOrEqual(Math.min(ms * 0.3, 5 * MINUTE) + 1e-3)
        expect(at).toBeLessThan(T0 + ms)
      }),
    )
  })

  it('makes close to one token request per lifetime for long tokens (1.33 at 75%)', () => {
    const perLifetime = (ms: number, random: number) => ms / (renewalTime(lifetime(ms), random)! - T0)
    expect(perLifetime(5 * SECOND, 0.5)).toBeCloseTo(1.333, 2)
    expect(perLifetime(HOUR, 0.5)).toBeLessThan(1.07)
    expect(perLifetime(HOUR, 0)).toBeLessThan(1.1)
    expect(perLifetime(DAY, 0)).toBeLessThan(1.004)
  })

  it('clamps a random outside 0..1 instead of leaving the jitter window', () => {
    expect(renewalTime(lifetime(HOUR), -3)).toBe(T0 + 55 * MINUTE)
    expect(renewalTime(lifetime(HOUR), 7)).toBe(T0 + 58 * MINUTE)
    expect(renewalTime(lifetime(HOUR), Number.NaN)).toBe(T0 + 56.5 * MINUTE)
  })

  it('never renews sooner than the minimum interval after obtaining, so tiny lifetimes do not loop', () => {
    expect(RENEWAL.minIntervalMs).toBe(1_000)
    expect(renewalTime(lifetime(500), 0)).toBe(T0 + 1_000)
    expect(renewalTime(lifetime(1_000), 1)).toBe(T0 + 1_000)
    expect(renewalTime(lifetime(0), 0.5)).toBe(T0 + 1_000)
    // A server clock so far off that the token "expired" before it was requested.
    expect(renewalTime(lifetime(-HOUR), 0.5)).toBe(T0 + 1_000)
  })

  it('gives no renewal time to a token without an expiry', () => {
    expect(renewalTime(lifetime(null), 0.5)).toBeNull()
    expect(renewalTime(lifetime(null), 0)).toBeNull()
  })
})

describe('backoffDelay', () => {
  it('doubles from 5 s and is capped at 5 min', () => {
    const delays = Array.from({ length: 10 }, (_, index) => backoffDelay(index + 1, 0.5))
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300].map((seconds) => seconds * SECOND))
  })

  it('jitters by at most 20% and never goes above the cap', () => {
    expect(backoffDelay(1, 0)).toBe(4 * SECOND)
    expect(backoffDelay(1, 1)).toBe(6 * SECOND)
    expect(backoffDelay(3, 0)).toBe(16 * SECOND)
    expect(backoffDelay(3, 1)).toBe(24 * SECOND)
    expect(backoffDelay(7, 0)).toBe(240 * SECOND)
    expect(backoffDelay(7, 1)).toBe(300 * SECOND)
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const base = Math.min(5 * SECOND * 2 ** Math.min(attempt - 1, 30), RENEWAL.backoffCapMs)
        const delay = backoffDelay(attempt, random)
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8))
        expect(delay).toBeLessThanOrEqual(Math.min(Math.ceil(base * 1.2), RENEWAL.backoffCapMs))
      }),
    )
  })

  it('treats nonsense attempts as the first one', () => {
    expect(backoffDelay(0, 0.5)).toBe(5 * SECOND)
    expect(backoffDelay(-4, 0.5)).toBe(5 * SECOND)
    expect(backoffDelay(Number.NaN, 0.5)).toBe(5 * SECOND)
    expect(backoffDelay(1e9, 0.5)).toBe(RENEWAL.backoffCapMs)
  })

  it('honours a server Retry-After instead of the exponential delay', () => {
    expect(backoffDelay(1, 0.5, 30 * SECOND)).toBe(30 * SECOND)
    expect(backoffDelay(6, 0.5, 2 * SECOND)).toBe(2 * SECOND)
    // Longer than the backoff cap is allowed: the server asked for it.
    expect(backoffDelay(1, 0.5, 20 * MINUTE)).toBe(20 * MINUTE)
  })

  it('caps Retry-After at an hour and floors it at the minimum interval', () => {
    expect(backoffDelay(1, 0.5, 3 * DAY)).toBe(RENEWAL.retryAfterCapMs)
    expect(backoffDelay(1, 0.5, 0)).toBe(RENEWAL.minIntervalMs)
  })

  it('ignores an unusable Retry-After', () => {
    expect(backoffDelay(2, 0.5, -1)).toBe(10 * SECOND)
    expect(backoffDelay(2, 0.5, Number.NaN)).toBe(10 * SECOND)
    expect(backoffDelay(2, 0.5, Number.POSITIVE_INFINITY)).toBe(10 * SECOND)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0)

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120 * SECOND)
    expect(parseRetryAfter(' 7 ', now)).toBe(7 * SECOND)
    expect(parseRetryAfter('0', now)).toBe(0)
  })

  it('reads an HTTP date relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:29:30 GMT', now)).toBe(90 * SECOND)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0)
  })

  it('rejects values that are neither', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    // Date.parse would read these as dates in 2001, i.e. "retry at once".
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
  })
})

describe('statusKind (the legacy one-word kind)', () => {
  const now = T0 + 30 * MINUTE
  const token = (obtainedAt: number, expiresAt: number | null): TokenMeta => ({
    tokenType: 'Bearer',
    grantedScope: null,
    requestedScope: 'read',
    obtainedAt,
    expiresAt,
    hasRefreshToken: true,
  })
  const status = (patch: Partial<TokenStatus>): TokenStatus => ({ ...notConnected('ds-1', now), ...patch })
  const error: AppError = { kind: 'oauth', code: 'invalid_grant', message: 'The username or password is wrong.' }

  it('derives the kind from the state and the token', () => {
    expect(statusKind(status({}), now)).toBe('not-connected')
    expect(statusKind(status({ token: token(T0, null) }), now)).toBe('no-expiry')
    expect(statusKind(status({ token: token(T0, T0 + HOUR) }), now)).toBe('valid')
    expect(statusKind(status({ token: token(T0, now) }), now)).toBe('expired')
    expect(statusKind(status({ token: token(T0, T0 + HOUR), state: 'renewing' }), now)).toBe('renewing')
    expect(statusKind(status({ token: token(T0, T0 + HOUR), state: 'retrying' }), now)).toBe('retrying')
    expect(statusKind(status({ state: 'action-needed', lastError: error }), now)).toBe('action-needed')
    expect(statusKind(status({ state: 'sign-in-needed' }), now)).toBe('sign-in-needed')
  })

  it('says "expiring soon" once less than 20% of the lifetime is left', () => {
    // 150 min lifetime: 30 min left is exactly 20%.
    expect(statusKind(status({ token: token(now - 120 * MINUTE, now + 30 * MINUTE) }), now)).toBe('expiring-soon')
    expect(statusKind(status({ token: token(now - 120 * MINUTE, now + 31 * MINUTE) }), now)).toBe('valid')
  })

  describe('formatExpiry and friends', () => {
    const now = new Date(2025, 10, 27, 14, 20).getTime()

    it('formats an expiry in the future, in the past, and none', () => {
      expect(formatExpiry(now + 12 * MINUTE, now, 'en-GB')).toBe('expires 14:32, in 12 min')
      expect(formatExpiry(now - 3 * MINUTE, now, 'en-GB')).toBe('expired 14:17, 3 min ago')
      expect(formatExpiry(null, now, 'en-GB')).toBe('no expiry given')
    })

    it('adds the date when the expiry is on another day, and the year when in another year', () => {
      expect(formatClock(new Date(2025, 10, 29, 8, 5).getTime(), now, 'en-GB')).toBe('29 Nov 08:05')
      expect(formatClock(new Date(2026, 0, 2, 8, 5).getTime(), now, 'en-GB')).toBe('2 Jan 2026 08:05')
    })

    it('counts whole units, so near times read alike and nothing reads "60 s" or "1 h 60 min"', () => {
      expect(formatRelative(now + 40 * SECOND, now)).toBe('in 40 s')
      expect(formatRelative(now - 40 * SECOND, now)).toBe('40 s ago')
      expect(formatRelative(now + 59_600, now)).toBe('in 59 s')
      expect(formatRelative(now + 59 * MINUTE, now)).toBe('in 59 min')
      expect(formatRelative(now + 90 * MINUTE, now)).toBe('in 1 h 30 min')
      expect(formatRelative(now + 2 * HOUR - 10 * SECOND, now)).toBe('in 1 h 59 min')
      // A 1 h token obtained 31 s ago and another obtained 28 s ago: the same reading, not "59 min" and "1 h".
      expect(formatRelative(now + HOUR - 31 * SECOND, now)).toBe(formatRelative(now + HOUR - 28 * SECOND, now))
    })

    it('writes a 12-hour clock without a leading zero and a 24-hour one with it', () => {
      const nine = new Date(2025, 10, 27, 9, 41).getTime()
      expect(formatClock(nine, now, 'en-US')).toBe('9:41 AM')
      expect(formatClock(nine, now, 'en-GB')).toBe('09:41')
      expect(formatRelative(now + 3 * DAY, now)).toBe('in 3 days')
    })

    it('writes what the real-clock tests expect, also for an hour\'s token obtained at 23:30 or on New Year\'s Eve', () => {
      const whole = new RegExp(`^${clockPattern}$`)
      for (const evening of [new Date(2026, 10, 30, 23, 30).getTime(), new Date(2026, 11, 31, 23, 30).getTime()]) {
        for (const locale of ['en-US', 'en-GB', undefined]) {
          expect(formatClock(evening + 10 * MINUTE, evening, locale)).toMatch(whole)
          const pastMidnight = formatClock(evening + HOUR, evening, locale)
          expect(pastMidnight).toMatch(/\d{1,2}:\d{2}/)
          expect(pastMidnight).not.toMatch(/^\d{1,2}:\d{2}/)
          expect(pastMidnight).toMatch(whole)
        }
      }
    })
  })
})
