import { describe, expect, it } from 'vitest'
import { compactDetail, statusLine, summarizeStatus } from '../../../renderer/src/status-text'
import { tokenMeta, tokenStatus } from '../../support/fake-api'
import { clockPattern } from '../../support/clock-pattern'

const id = '00000000-0000-4000-8000-000000000001'
const now = new Date(2026, 10, 26, 13, 33, 0).getTime()
const clock = clockPattern

describe('summarizeStatus', () => {
  it('says until when the token is valid and when it renews', () => {
    const status = tokenStatus(id, { token: tokenMeta({ obtainedAt: now - 60_000, expiresAt: now + 59 * 60_000 }), renewAt: now + 54 * 60_000 })
    const summary = summarizeStatus(status, now)
    expect(summary.kind).toBe('valid')
    expect(summary.tone).toBe('ok')
    expect(statusLine(summary)).toMatch(new RegExp(`^Valid until ${clock} · renews ${clock} \\(in 54 min\\)$`))
    expect(compactDetail(summary, now)).toBe('in 59 min')
  })

  it('says when the next retry is due, with the token it still has', () => {
    const status = tokenStatus(id, {
      state: 'retrying',
      nextAttemptAt: now + 20_000,
      attempt: 2,
      token: tokenMeta({ obtainedAt: now - 60_000, expiresAt: now + 59 * 60_000 }),
      lastError: { kind: 'network', code: 'refused', message: 'Refused.', transient: true },
    })
    const summary = summarizeStatus(status, now)
    expect(summary.tone).toBe('attention')
    expect(compactDetail(summary, now)).toBe('retrying in 20 s')
    expect(statusLine(summary)).toMatch(/· renewal failing: server unreachable, next attempt in 20 s$/)
  })

  it('keeps a valid token amber, not red, when renewal needs the user', () => {
    const status = tokenStatus(id, {
      state: 'action-needed',
      token: tokenMeta({ obtainedAt: now - 60_000, expiresAt: now + 59 * 60_000 }),
      lastError: { kind: 'oauth', code: 'invalid_grant', message: 'The server did not accept the username or password (invalid_grant).' },
    })
    const summary = summarizeStatus(status, now)
    expect(summary.tone).toBe('attention')
    expect(statusLine(summary)).toMatch(new RegExp(`^Valid until ${clock} · renewal failing: password rejected$`))
    expect(compactDetail(summary, now)).toBe('password rejected')
  })

  it('is red once the token is gone and renewal needs the user', () => {
    const status = tokenStatus(id, { state: 'action-needed', lastError: { kind: 'oauth', code: 'invalid_client', message: 'The client was not accepted.' } })
    const summary = summarizeStatus(status, now)
    expect(summary.tone).toBe('error')
    expect(statusLine(summary)).toBe('No token · renewal failing: client not accepted')
  })

  it('treats a missing expiry as unknown, not as never', () => {
    const status = tokenStatus(id, { token: tokenMeta({ expiresAt: null }) })
    expect(statusLine(summarizeStatus(status, now))).toBe('Valid, no expiry given · not renewed on a timer (no expiry)')
  })

  it('is "Not connected" without a status or a token', () => {
    expect(summarizeStatus(undefined, now).label).toBe('Not connected')
    expect(summarizeStatus(tokenStatus(id), now).kind).toBe('not-connected')
    expect(summarizeStatus(tokenStatus(id), now).tone).toBe('none')
  })
})
