import { beforeEach, describe, expect, it, vi } from 'vitest'
import { buildTrayModel, OPEN_LABEL } from '../../../electron/core/tray-model'
import type { TokenStatus } from '../../../shared/token'
import { electronState, resetElectronMock, shownMenuLabel, type FakeTray } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { createTrayView } = await import('../../../electron/main/tray')

const now = Date.UTC(2026, 10, 26, 12, 0)
const valid: TokenStatus = {
  datasourceId: 'crm',
  state: 'idle',
  token: { tokenType: 'Bearer', grantedScope: null, requestedScope: '', obtainedAt: now - 60_000, expiresAt: now + 3_600_000, hasRefreshToken: false },
  renewAt: now + 2_000_000,
  nextAttemptAt: null,
  attempt: 0,
  lastError: null,
  updatedAt: now,
}

function setup(): { tray: FakeTray; view: ReturnType<typeof createTrayView>; actions: { renew: ReturnType<typeof vi.fn>; open: ReturnType<typeof vi.fn>; quit: ReturnType<typeof vi.fn> } } {
  const actions = { renew: vi.fn(), open: vi.fn(), quit: vi.fn() }
  const view = createTrayView((severity) => `/icons/${severity}.png`, actions)
  const tray = electronState.trays[0]
  if (!tray) throw new Error('no tray')
  return { tray, view, actions }
}

const click = (item: Record<string, unknown> | undefined): void => (item?.click as () => void)()

describe('createTrayView', () => {
  beforeEach(() => resetElectronMock())

  it('renders every model item into the menu, in order', () => {
    const { tray, view } = setup()
    const model = buildTrayModel([{ id: 'crm', name: 'CRM', status: valid }], now)
    view.render(model)
    expect(tray.lastMenu.map((item) => item.label ?? item.type)).toEqual(model.items.map((item) => ('label' in item ? item.label : item.kind)))
    // The datasource is a submenu (Menu.buildFromTemplate nests `submenu` templates); its lines are text only.
    const submenu = tray.lastMenu[0]?.submenu as Array<Record<string, unknown>>
    expect(submenu[0]).toMatchObject({ enabled: false })
    expect(tray.tooltip).toBe(model.tooltip)
  })

  it('wires Renew now, Open and Quit to their actions', () => {
    const { tray, view, actions } = setup()
    view.render(buildTrayModel([{ id: 'crm', name: 'CRM', status: valid }], now))
    const submenu = tray.lastMenu[0]?.submenu as Array<Record<string, unknown>>
    click(submenu.find((item) => item.label === 'Renew now'))
    expect(actions.renew).toHaveBeenCalledWith('crm')
    click(submenu.find((item) => item.label === 'Show in window'))
    expect(actions.open).toHaveBeenCalledWith('crm')
    click(tray.lastMenu.find((item) => item.label === OPEN_LABEL))
    expect(actions.open).toHaveBeenCalled()
    click(tray.lastMenu.find((item) => item.label === 'Quit'))
    expect(actions.quit).toHaveBeenCalled()
  })

  it('rebuilds the menu and switches the icon when a status changes', () => {
    const { tray, view } = setup()
    view.render(buildTrayModel([{ id: 'crm', name: 'CRM', status: valid }], now))
    expect(tray.images).toEqual(['/icons/ok.png'])
    const failed: TokenStatus = { ...valid, state: 'action-needed', lastError: { kind: 'oauth', code: 'invalid_client', message: 'Client rejected' } }
    view.render(buildTrayModel([{ id: 'crm', name: 'CRM', status: failed }], now))
    expect(tray.menus).toHaveLength(2)
    // The token still works for an hour: amber, and the label says both.
    expect(tray.lastMenu[0]?.label).toMatch(/^CRM - Valid until \d{1,2}:\d{2}( [AP]M)? - renewal failing: client not accepted$/)
    expect(tray.images).toEqual(['/icons/ok.png', '/icons/attention.png'])
  })

  it('opens the window on a click on the icon', () => {
    const { tray, actions } = setup()
    tray.emit('click')
    expect(actions.open).toHaveBeenCalled()
  })

  it('does nothing after destroy', () => {
    const { tray, view } = setup()
    view.destroy()
    view.render(buildTrayModel([], now))
    expect(tray.destroyed).toBe(true)
    expect(tray.menus).toHaveLength(0)
  })

  it('shows an "&" in a datasource name as it is, not as an access-key marker', () => {
    const { tray, view } = setup()
    view.render(buildTrayModel([{ id: 'rd', name: 'R&D && Ops', status: valid }], now))
    const label = tray.lastMenu[0]?.label as string
    expect(label.startsWith('R&&D &&&& Ops')).toBe(true)
    expect(shownMenuLabel(label).startsWith('R&D && Ops')).toBe(true)
    expect(shownMenuLabel('R&D')).toBe('RD')
  })
})
