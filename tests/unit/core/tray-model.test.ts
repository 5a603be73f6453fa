import { describe, expect, it } from 'vitest'
import { buildTrayModel, EMPTY_LABEL, OPEN_LABEL, RENEW_LABEL, SHOW_LABEL, SIGN_IN_LABEL, TRAY_MAX_DATASOURCES, type TrayEntry, type TrayItem } from '../../../electron/core/tray-model'
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

const entry = (id: string, name: string, patch: Partial<TokenStatus> = {}, authenticated = true): TrayEntry => ({ id, name, authenticated, status: status(id, patch) })
const labels = (items: ReadonlyArray<TrayItem>): string[] => items.map((item) => ('label' in item ? item.label : '---'))

type DatasourceItem = Extract<TrayItem, { kind: 'datasource' }>
const datasources = (items: ReadonlyArray<TrayItem>): DatasourceItem[] => items.filter((item): item is DatasourceItem => item.kind === 'datasource')
const submenuOf = (items: ReadonlyArray<TrayItem>, id: string): ReadonlyArray<TrayItem> => datasources(items).find((item) => item.datasourceId === id)?.items ?? []
const passwordRejected = appError('oauth', 'invalid_grant', 'The server did not accept the username or password (invalid_grant).')

describe('buildTrayModel', () => {
  it('shows an empty state, Open and Quit when there are no datasources', () => {
    const model = buildTrayModel([], now, locale)
    expect(model.severity).toBe('ok')
    expect(labels(model.items)).toEqual([EMPTY_LABEL, '---', OPEN_LABEL, 'Quit'])
    expect(model.tooltip).toContain('Datasource Desk')
  })

  it('gives each datasource one submenu: its status, Renew now and Show in window', () => {
    const model = buildTrayModel([entry('crm', 'CRM')], now, locale)
    expect(model.items[0]).toMatchObject({ kind: 'datasource', label: 'CRM - Valid until 14:32', datasourceId: 'crm', tone: 'ok' })
    expect(submenuOf(model.items, 'crm')).toEqual([
      { kind: 'info', label: 'Valid until 14:32' },
      { kind: 'info', label: 'Renews 14:25 (in 5 min)' },
      { kind: 'separator' },
      { kind: 'action', label: RENEW_LABEL, enabled: true, action: { type: 'renew', datasourceId: 'crm' } },
      { kind: 'action', label: SHOW_LABEL, enabled: true, action: { type: 'open', datasourceId: 'crm' } },
    ])
    expect(model.items.slice(-2)).toEqual([
      { kind: 'action', label: OPEN_LABEL, enabled: true, action: { type: 'open' } },
      { kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } },
    ])
    expect(model.severity).toBe('ok')
    expect(model.tooltip).toBe('Datasource Desk - token OK')
  })

  it('never has two items with the same label at the top level', () => {
    const model = buildTrayModel([entry('a', 'A'), entry('b', 'B'), entry('c', 'C', { state: 'sign-in-needed' })], now, locale)
    const top = labels(model.items).filter((label) => label !== '---')
    expect(new Set(top).size).toBe(top.length)
    expect(top).not.toContain(RENEW_LABEL)
    for (const item of datasources(model.items)) {
      const inner = labels(item.items).filter((label) => label !== '---')
      expect(new Set(inner).size).toBe(inner.length)
    }
  })

  it('takes the worst tone of all datasources for the icon; a valid token with failing renewal is amber', () => {
    const valid = entry('a', 'A')
    const soon = entry('b', 'B', { token: { ...status('b').token!, obtainedAt: now - 59 * minute, expiresAt: now + minute } })
    const rejectedButValid = entry('c', 'C', { state: 'action-needed', lastError: passwordRejected, renewAt: null })
    const expired = entry('d', 'D', { token: { ...status('d').token!, obtainedAt: now - 70 * minute, expiresAt: now - 10 * minute } })
    expect(buildTrayModel([valid], now, locale).severity).toBe('ok')
    expect(buildTrayModel([valid, soon], now, locale).severity).toBe('attention')
    expect(buildTrayModel([valid, rejectedButValid], now, locale).severity).toBe('attention')
    expect(buildTrayModel([valid, soon, expired], now, locale).severity).toBe('error')
    expect(buildTrayModel([valid, soon, rejectedButValid], now, locale).tooltip).toBe('Datasource Desk - 1 needs you, 1 needs attention')
  })

  it('counts only datasources that need attention: not those without authentication, not never-tested ones', () => {
    const model = buildTrayModel(
      [
        entry('ok', 'Fine'),
        entry('none', 'Open data', { token: null, renewAt: null }, false),
        entry('new', 'Never tested', { token: null, renewAt: null }),
        entry('bad', 'Rejected', { state: 'action-needed', lastError: passwordRejected, renewAt: null }),
      ],
      now,
      locale,
    )
    expect(model.attention).toBe(1)
    expect(model.severity).toBe('attention')
    expect(model.tooltip).toBe('Datasource Desk - 1 needs you')
    const neutral = buildTrayModel([entry('none', 'Open data', { token: null }, false), entry('new', 'Never tested', { token: null, renewAt: null })], now, locale)
    expect(neutral).toMatchObject({ attention: 0, severity: 'ok', tooltip: 'Datasource Desk - no tokens yet' })
  })

  it('puts the datasources that need the user first, and says what is wrong with renewal', () => {
    const model = buildTrayModel(
      [entry('a', 'Alpha'), entry('z', 'Zulu', { state: 'retrying', nextAttemptAt: now + 30_000, attempt: 2, lastError: appError('network', 'refused', 'Refused', { transient: true }) }), entry('m', 'Mike', { state: 'sign-in-needed', token: null, renewAt: null })],
      now,
      locale,
    )
    expect(datasources(model.items).map((item) => item.label)).toEqual([
      'Mike - No token - renewal needs you to sign in',
      'Zulu - Valid until 14:32 - renewal failing: server unreachable, next attempt in 30 s',
      'Alpha - Valid until 14:32',
    ])
  })

  it('offers Sign in, opening that datasource, instead of Renew now when the password is needed or rejected', () => {
    for (const patch of [{ state: 'sign-in-needed' as const }, { state: 'action-needed' as const, lastError: passwordRejected }]) {
      const model = buildTrayModel([entry('m', 'Mike', patch)], now, locale)
      const actions = submenuOf(model.items, 'm').filter((item) => item.kind === 'action')
      expect(actions).toEqual([{ kind: 'action', label: SIGN_IN_LABEL, enabled: true, action: { type: 'open', datasourceId: 'm' } }])
    }
  })

  it('disables Renew now while a renewal runs', () => {
    const model = buildTrayModel([entry('r', 'R', { state: 'renewing' })], now, locale)
    expect(submenuOf(model.items, 'r')).toContainEqual(expect.objectContaining({ label: RENEW_LABEL, enabled: false }))
  })

  it('describes not-connected, no-expiry and auth-less datasources', () => {
    const model = buildTrayModel(
      [
        entry('n', 'N', { token: null, renewAt: null }),
        entry('x', 'X', { token: { ...status('x').token!, expiresAt: null }, renewAt: null }),
        entry('o', 'O', { token: null, renewAt: null }, false),
      ],
      now,
      locale,
    )
    expect(labels(model.items)).toContain('N - Not connected')
    expect(labels(model.items)).toContain('X - Valid, no expiry given')
    expect(labels(model.items)).toContain('O - No authentication')
    expect(labels(submenuOf(model.items, 'o'))).toEqual(['No authentication', '---', SHOW_LABEL])
    expect(model.severity).toBe('ok')
  })

  it('caps the menu for many datasources and says how many are left out', () => {
    const many = Array.from({ length: 500 }, (_, index) => entry(`id-${index}`, `Source ${String(index).padStart(3, '0')}`))
    const model = buildTrayModel(many, now, locale)
    expect(datasources(model.items)).toHaveLength(TRAY_MAX_DATASOURCES)
    expect(labels(model.items)).toContain(`${500 - TRAY_MAX_DATASOURCES} more in the app`)
    expect(model.tooltip).toBe('Datasource Desk - 500 tokens OK')
  })

  it('shortens very long names', () => {
    const model = buildTrayModel([entry('l', 'L'.repeat(300))], now, locale)
    const first = model.items[0]
    expect(first?.kind === 'datasource' && first.label.length).toBeLessThan(120)
  })

  it('is pure: same input, same output, input untouched', () => {
    const input = Object.freeze([entry('b', 'B'), entry('a', 'A')])
    expect(buildTrayModel(input, now, locale)).toEqual(buildTrayModel(input, now, locale))
    expect(input.map((item) => item.id)).toEqual(['b', 'a'])
  })
})
