/**
 * A damaged database at start (issue 5, Faults): main tells the user and offers to move it aside
 * and start fresh; "Quit" (or closing the dialog) changes nothing; after moving aside it tries
 * exactly once more, so a second failure quits instead of looping. With the mocked electron module.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { CoreDeps } from '../../../electron/core/deps'
import { DatabaseCorruptError } from '../../../electron/core/db/connection'
import { ok } from '../../../shared/errors'
import { ipcMethods, type HandlerTable } from '../../../shared/ipc'
import { electronModule, electronState, resetElectronMock } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { startApp, MOVE_ASIDE_BUTTON } = await import('../../../electron/main/app')

const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }
const secretStore = { get: async () => null, set: async () => {}, delete: async () => false, accounts: async () => [] }
const corrupt = () => new DatabaseCorruptError('/fake/userData/datasource-desk.sqlite', 'SQLITE_NOTADB')

function fakeCore() {
  return {
    handlers: Object.fromEntries(ipcMethods.map((method) => [method, vi.fn(async () => ok(method))])) as unknown as HandlerTable,
    snapshot: vi.fn(() => []),
    renewNow: vi.fn(async () => undefined),
    recheck: vi.fn(),
    close: vi.fn(async () => {}),
  }
}

/** createCore that fails with these errors first, then succeeds. */
function createCoreFailing(...errors: Error[]) {
  return vi.fn(async (_deps: CoreDeps) => {
    const error = errors.shift()
    if (error) throw error
    return fakeCore()
  })
}

const chooseMoveAside = () => electronModule.dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false })

describe('startApp with a damaged database', () => {
  beforeEach(() => resetElectronMock())

  it('asks, with "Move aside and start fresh" and "Quit"; closing the dialog means Quit', async () => {
    const moveAside = vi.fn(() => [])
    const createCore = createCoreFailing(corrupt())
    await expect(startApp({ createCore, clock, secretStore, moveCorruptDatabaseAside: moveAside })).resolves.toBeNull()
    const [options] = electronModule.dialog.showMessageBox.mock.calls[0] as unknown as [Record<string, unknown>]
    expect(options).toMatchObject({ buttons: [MOVE_ASIDE_BUTTON, 'Quit'], cancelId: 1, defaultId: 1 })
    expect(String(options.message)).toMatch(/damaged/)
    expect(String(options.detail)).toMatch(/kept, not deleted/)
    // Quit: nothing moved, no second attempt, no other error box, the app quits.
    expect(moveAside).not.toHaveBeenCalled()
    expect(createCore).toHaveBeenCalledTimes(1)
    expect(electronModule.dialog.showErrorBox).not.toHaveBeenCalled()
    expect(electronState.app.quit).toHaveBeenCalled()
    expect(electronState.windows).toHaveLength(0)
  })

  it('moves the database aside and starts fresh over the same data folder when the user agrees', async () => {
    chooseMoveAside()
    const moveAside = vi.fn(() => ['/fake/userData/datasource-desk.corrupt-x.sqlite'])
    const createCore = createCoreFailing(corrupt())
    const controller = await startApp({ createCore, clock, secretStore, moveCorruptDatabaseAside: moveAside })
    expect(controller).not.toBeNull()
    expect(moveAside).toHaveBeenCalledWith('/fake/userData')
    expect(createCore).toHaveBeenCalledTimes(2)
    expect(createCore.mock.calls[1]?.[0].dataDir).toBe('/fake/userData')
    expect(electronState.windows).toHaveLength(1)
    expect(electronState.app.quit).not.toHaveBeenCalled()
  })

  it('never loops: if the fresh start fails too, it says so once and quits', async () => {
    chooseMoveAside()
    const moveAside = vi.fn(() => [])
    const createCore = createCoreFailing(corrupt(), corrupt())
    await expect(startApp({ createCore, clock, secretStore, moveCorruptDatabaseAside: moveAside })).resolves.toBeNull()
    expect(electronModule.dialog.showMessageBox).toHaveBeenCalledTimes(1)
    expect(moveAside).toHaveBeenCalledTimes(1)
    expect(createCore).toHaveBeenCalledTimes(2)
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledTimes(1)
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith('Datasource Desk could not start', expect.stringContaining('damaged'))
    expect(electronState.app.quit).toHaveBeenCalled()
  })

  it('does not offer to move anything for other start failures (a newer schema, a locked folder)', async () => {
    const moveAside = vi.fn(() => [])
    const createCore = createCoreFailing(new Error('The database was written by a newer version of Datasource Desk'))
    await expect(startApp({ createCore, clock, secretStore, moveCorruptDatabaseAside: moveAside })).resolves.toBeNull()
    expect(electronModule.dialog.showMessageBox).not.toHaveBeenCalled()
    expect(moveAside).not.toHaveBeenCalled()
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith('Datasource Desk could not start', expect.stringContaining('newer version'))
  })
})
