import { describe, expect, it } from 'vitest'
import { statusLine, summarizeStatus } from '../../../renderer/src/status-text'
import { tokenMeta, tokenStatus } from '../../support/fake-api'

const id = '00000000-0000-4000-8000-000000000001'
const now = new Date(2026, 10, 26, 13, 33, 0).getTime()

describe('summarizeStatus', () => {
  it('says valid with the expiry clock time and the time left', () => {
    const status = tokenStatus(id, { token: tokenMeta({ obtainedAt: now - 60_000, expiresAt: now + 59 * 60_000 }) })
    const summary = summarizeStatus(status, now)
    expect(summary.kind).toBe('valid')
    expect(summary.severity).toBe('ok')
    expect(statusLine(summary)).toMatch(/^Valid · expires \d{1,2}:\d{2}.*, in 59 min$/)
  })

  it('says when the next retry is due', () => {
    const status = tokenStatus(id, { state: 'retrying', nextAttemptAt: now + 20_000, attempt: 2 })
    expect(statusLine(summarizeStatus(status, now))).toBe('Retrying · next attempt in 20 s')
  })

  it('gives the reason when action is needed', () => {
    const status = tokenStatus(id, {
      state: 'action-needed',
      lastError: { kind: 'oauth', code: 'invalid_client', message: 'The client was not accepted.' },
    })
    const summary = summarizeStatus(status, now)
    expect(summary.severity).toBe('error')
    expect(statusLine(summary)).toBe('Action needed · The client was not accepted.')
  })

  it('treats a missing expiry as unknown, not as never', () => {
    const status = tokenStatus(id, { token: tokenMeta({ expiresAt: null }) })
    expect(statusLine(summarizeStatus(status, now))).toBe('No expiry · the server gave no expiry')
  })

  it('is "Not connected" without a status or a token', () => {
    expect(summarizeStatus(undefined, now).label).toBe('Not connected')
    expect(summarizeStatus(tokenStatus(id), now).kind).toBe('not-connected')
  })
})
