import { describe, expect, it } from 'vitest'
import { buildTrayModel, EMPTY_LABEL, OPEN_LABEL, TRAY_MAX_DATASOURCES, type TrayEntry, type TrayItem } from '../../../electron/core/tray-model'
import { appError } from '../../../shared/errors'
import type { TokenStatus } from '../../../shared/token'

const locale = 'en-GB'
const now = new Date(2026, 10, 26, 14, 20, 0).getTime()
const minute = 60_000

function status(datasourceId: string, patch: Partial<TokenStatus> = {}): TokenStatus {
  return {
    datasourceId,
    state: 'idle',
    token: { tokenType: 'Bearer', grantedScope: null, requestedScope: '', obtainedAt: now - 18 * minute, expiresAt: now + 12 * minute, hasRefreshToken: true },
    renewAt: now + 5 * minute,
    nextAttemptAt: null,
    attempt: 0,
    lastError: null,
    updatedAt: now,
    ...patch,
  }
}

const entry = (id: string, name: string, patch: Partial<TokenStatus> = {}): TrayEntry => ({ id, name, status: status(id, patch) })
const labels = (items: ReadonlyArray<TrayItem>): string[] => items.map((item) => ('label' in item ? item.label : '---'))

describe('buildTrayModel', () => {
  it('shows an empty state, Open and Quit when there are no datasources', () => {
    const model = buildTrayModel([], now, locale)
    expect(model.severity).toBe('ok')
    expect(labels(model.items)).toEqual([EMPTY_LABEL, '---', OPEN_LABEL, 'Quit'])
    expect(model.tooltip).toContain('Datasource Desk')
  })

  it('lists a datasource with its status, expiry and a Renew now item', () => {
    const model = buildTrayModel([entry('crm', 'CRM')], now, locale)
    expect(model.items[0]).toEqual({ kind: 'status', label: 'CRM - valid, expires 14:32 (in 12 min)', datasourceId: 'crm', severity: 'ok' })
    expect(model.items[1]).toEqual({ kind: 'action', label: 'Renew now', enabled: true, action: { type: 'renew', datasourceId: 'crm' } })
    expect(model.items.slice(-2)).toEqual([
      { kind: 'action', label: OPEN_LABEL, enabled: true, action: { type: 'open' } },
      { kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } },
    ])
    expect(model.severity).toBe('ok')
    expect(model.tooltip).toBe('Datasource Desk - token OK')
  })

  it('takes the worst severity of all datasources for the icon', () => {
    const valid = entry('a', 'A')
    const soon = entry('b', 'B', { token: { ...status('b').token!, obtainedAt: now - 59 * minute, expiresAt: now + minute } })
    const failed = entry('c', 'C', { state: 'action-needed', lastError: appError('oauth', 'invalid_client', 'The client was rejected') })
    expect(buildTrayModel([valid], now, locale).severity).toBe('ok')
    expect(buildTrayModel([valid, soon], now, locale).severity).toBe('attention')
    expect(buildTrayModel([valid, soon, failed], now, locale).severity).toBe('error')
    expect(buildTrayModel([valid, soon, failed], now, locale).tooltip).toBe('Datasource Desk - 1 needs action, 1 needs attention')
  })

  it('puts the datasources that need the user first', () => {
    const model = buildTrayModel(
      [entry('a', 'Alpha'), entry('z', 'Zulu', { state: 'retrying', nextAttemptAt: now + 30_000, attempt: 2 }), entry('m', 'Mike', { state: 'sign-in-needed' })],
      now,
      locale,
    )
    const statusLines = model.items.filter((item) => item.kind === 'status').map((item) => item.label)
    expect(statusLines).toEqual(['Mike - sign-in needed', 'Zulu - retrying, next attempt in 30 s', 'Alpha - valid, expires 14:32 (in 12 min)'])
  })

  it('offers Sign in instead of Renew now when the password is needed', () => {
    const model = buildTrayModel([entry('m', 'Mike', { state: 'sign-in-needed' })], now, locale)
    expect(model.items[1]).toEqual({ kind: 'action', label: 'Sign in...', enabled: true, action: { type: 'open', datasourceId: 'm' } })
  })

  it('disables Renew now while a renewal runs', () => {
    const model = buildTrayModel([entry('r', 'R', { state: 'renewing' })], now, locale)
    expect(model.items[1]).toMatchObject({ label: 'Renew now', enabled: false })
  })

  it('describes not-connected and no-expiry datasources', () => {
    const model = buildTrayModel(
      [entry('n', 'N', { token: null, renewAt: null }), entry('x', 'X', { token: { ...status('x').token!, expiresAt: null }, renewAt: null })],
      now,
      locale,
    )
    expect(labels(model.items)).toContain('N - not connected')
    expect(labels(model.items)).toContain('X - no expiry')
    expect(model.severity).toBe('attention')
  })

  it('caps the menu for many datasources and says how many are left out', () => {
    const many = Array.from({ length: 500 }, (_, index) => entry(`id-${index}`, `Source ${String(index).padStart(3, '0')}`))
    const model = buildTrayModel(many, now, locale)
    expect(model.items.filter((item) => item.kind === 'status')).toHaveLength(TRAY_MAX_DATASOURCES)
    expect(labels(model.items)).toContain(`${500 - TRAY_MAX_DATASOURCES} more in the app`)
    expect(model.tooltip).toBe('Datasource Desk - all 500 tokens OK')
  })

  it('shortens very long names', () => {
    const model = buildTrayModel([entry('l', 'L'.repeat(300))], now, locale)
    const first = model.items[0]
    expect(first?.kind === 'status' && first.label.length).toBeLessThan(120)
  })

  it('is pure: same input, same output, input untouched', () => {
    const input = Object.freeze([entry('b', 'B'), entry('a', 'A')])
    expect(buildTrayModel(input, now, locale)).toEqual(buildTrayModel(input, now, locale))
    expect(input.map((item) => item.id)).toEqual(['b', 'a'])
  })
})
