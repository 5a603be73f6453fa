import { describe, expect, it } from 'vitest'
import type { HistoryEvent } from '../../../shared/history'
import { historyLines } from '../../../renderer/src/history-text'

const ID = '00000000-0000-4000-8000-000000000001'
const error = { kind: 'oauth' as const, code: 'invalid_grant' as const, message: 'The server did not accept the username or password (invalid_grant).', hint: 'Check the password.' }

describe('history lines', () => {
  it('shows a renewal that stopped once, not as "failed" plus "stopped" plus the error again', () => {
    const events: HistoryEvent[] = [
      { id: 3, datasourceId: ID, at: 10_500, kind: 'action-needed', message: `Renewal stopped: ${error.message}`, error },
      { id: 2, datasourceId: ID, at: 10_000, kind: 'failed', message: `Renewal failed: ${error.message}`, attempt: 1, error },
      { id: 1, datasourceId: ID, at: 1_000, kind: 'obtained', message: 'Token from Test connection saved.', grant: 'password' },
    ]
    const lines = historyLines(events)
    expect(lines.map((line) => line.event.id)).toEqual([3, 1])
    const texts = lines.flatMap((line) => [line.event.message, line.errorText, line.hint]).filter(Boolean)
    expect(texts.filter((text) => text?.includes(error.message))).toHaveLength(1)
    expect(lines[0]?.hint).toBe('Check the password.')
  })

  it('keeps failed attempts that were retried, and an error that says more than the message', () => {
    const events: HistoryEvent[] = [
      { id: 2, datasourceId: ID, at: 50_000, kind: 'failed', message: 'Renewal failed.', attempt: 2, error: { kind: 'network', code: 'refused', message: 'Connection refused.' } },
      { id: 1, datasourceId: ID, at: 10_000, kind: 'failed', message: 'Renewal failed.', attempt: 1, error: { kind: 'network', code: 'refused', message: 'Connection refused.' } },
    ]
    const lines = historyLines(events)
    expect(lines).toHaveLength(2)
    expect(lines[0]?.errorText).toBe('Connection refused.')
  })
})
