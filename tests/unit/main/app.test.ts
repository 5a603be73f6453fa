import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CoreDeps, CoreEvent } from '../../../electron/core/deps'
import { ok } from '../../../shared/errors'
import { channelOf, eventChannelOf, ipcMethods, type HandlerTable } from '../../../shared/ipc'
import type { TokenStatus } from '../../../shared/token'
import { electronModule, electronState, invokeEventFrom, resetElectronMock, type FakeBrowserWindow, type FakeTray } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { startApp, reportStartupFailure, ABI_MISMATCH_ADVICE, MAX_LOGGED_REFUSALS, STARTUP_FAILURE_TITLE, TRAY_RENDER_DELAY_MS, KEYCHAIN_SERVICE } = await import(
  '../../../electron/main/app'
)

const now = Date.UTC(2026, 10, 26, 12, 0)
const status = (datasourceId: string, state: TokenStatus['state'] = 'idle'): TokenStatus => ({
  datasourceId,
  state,
  token: { tokenType: 'Bearer', grantedScope: null, requestedScope: '', obtainedAt: now - 60_000, expiresAt: now + 3_600_000, hasRefreshToken: false },
  renewAt: null,
  nextAttemptAt: null,
  attempt: 0,
  lastError: null,
  updatedAt: now,
})

function fakeCore() {
  const entries = [{ id: 'crm', name: 'CRM', authenticated: true, status: status('crm') }]
  let deps: CoreDeps | undefined
  const core = {
    handlers: Object.fromEntries(ipcMethods.map((method) => [method, vi.fn(async () => ok(method))])) as unknown as HandlerTable,
    entries,
    snapshot: vi.fn(() => entries),
    renewNow: vi.fn(async () => undefined),
    recheck: vi.fn(),
    close: vi.fn(async () => {}),
    get deps(): CoreDeps {
      if (!deps) throw new Error('core not created')
      return deps
    },
    emit: (event: CoreEvent) => deps?.notify(event),
  }
  const createCore = vi.fn(async (given: CoreDeps) => {
    deps = given
    return core
  })
  return { core, createCore }
}

const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} }
const secretStore = { get: async () => null, set: async () => {}, delete: async () => false, accounts: async () => [] }

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Readonly<Record<string, unknown>> }> = []
  const at = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push({ level, message, ...(fields ? { fields } : {}) })
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } }
}

async function start(logger = recordingLogger().logger, trayShown = true) {
  const { core, createCore } = fakeCore()
  const controller = await startApp({ createCore, clock, secretStore, logger, trayIsShown: async () => trayShown })
  const window = electronState.windows[0] as FakeBrowserWindow
  const tray = electronState.trays[0] as FakeTray
  return { core, createCore, controller, window, tray }
}

describe('startApp', () => {
  beforeEach(() => {
    resetElectronMock()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
  })
  afterEach(() => vi.useRealTimers())

  it('quits at once when another instance holds the lock', async () => {
    electronState.app.hasLock = false
    const { createCore } = fakeCore()
    await expect(startApp({ createCore, clock, secretStore })).resolves.toBeNull()
    expect(electronState.app.quit).toHaveBeenCalled()
    expect(createCore).not.toHaveBeenCalled()
    expect(electronState.windows).toHaveLength(0)
  })

  it('creates the core over the userData folder, with the net.request adapter, and a sandboxed window', async () => {
    const { core, window } = await start()
    expect(core.deps.dataDir).toBe('/fake/userData')
    expect(core.deps.secretStore).toBe(secretStore)
    expect(electronState.app.enableSandbox).toHaveBeenCalled()
    // The double resolves no names: the request fails the way Node's fetch reports it.
    await expect(core.deps.fetch(new URL('https://auth.example/token'), { method: 'POST' })).rejects.toMatchObject({
      message: 'fetch failed',
      cause: { message: 'net::ERR_NAME_NOT_RESOLVED' },
    })
    expect(electronModule.net.request).toHaveBeenCalledWith({
      method: 'POST',
      url: 'https://auth.example/token',
      redirect: 'manual',
      credentials: 'omit',
      useSessionCookies: false,
      cache: 'no-store',
    })
    expect(window.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false })
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload[/\\]index\.cjs$/)
  })

  it('uses the OS keychain under the app name by default', () => {
    expect(KEYCHAIN_SERVICE).toBe('Datasource Desk')
  })

  it('registers the core handlers behind the sender check', async () => {
    const { core, window } = await start()
    expect([...electronState.ipcHandlers.keys()].sort()).toEqual(ipcMethods.map(channelOf).sort())
    const handler = electronState.ipcHandlers.get(channelOf('listDatasources'))
    expect(await handler?.(invokeEventFrom(window.webContents), {})).toEqual(ok('listDatasources'))
    const refused = await handler?.(invokeEventFrom(window.webContents, { url: 'https://evil.example/' }), {})
    expect(refused).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } })
    expect(core.handlers.listDatasources).toHaveBeenCalledTimes(1)
  })

  it('hides the window on close instead of quitting, and shows it again from the tray', async () => {
    const { window, tray } = await start()
    const event = window.close()
    expect(event.defaultPrevented).toBe(true)
    expect(window.hide).toHaveBeenCalled()
    expect(window.isDestroyed()).toBe(false)
    expect(electronState.app.quit).not.toHaveBeenCalled()
    ;(tray.lastMenu.find((item) => item.label === 'Open Datasource Desk')?.click as () => void)()
    expect(window.show).toHaveBeenCalled()
    expect(electronState.windows).toHaveLength(1)
  })

  it('keeps running when every window is closed', async () => {
    await start()
    expect(electronState.app.listenerCount('window-all-closed')).toBe(1)
  })

  it('quits from the tray: closes the core first, then really quits and lets the window close', async () => {
    const { core, tray, window } = await start()
    const quit = tray.lastMenu.find((item) => item.label === 'Quit')?.click as () => void
    quit()
    quit()
    expect(core.close).toHaveBeenCalledTimes(1)
    await vi.waitFor(() => expect(electronState.app.quitted).toBe(true))
    expect(window.isDestroyed()).toBe(true)
    expect(tray.destroyed).toBe(true)
  })

  it('re-checks every deadline after resume and unlock', async () => {
    const { core } = await start()
    electronState.powerMonitor.emit('resume')
    electronState.powerMonitor.emit('unlock-screen')
    expect(core.recheck).toHaveBeenCalledTimes(2)
  })

  it('forwards core events to the window and rebuilds the tray menu once per burst', async () => {
    const { core, window, tray } = await start()
    const menusBefore = tray.menus.length
    core.entries[0] = { id: 'crm', name: 'CRM', authenticated: true, status: status('crm', 'retrying') }
    core.emit({ type: 'ipc', name: 'statusChanged', payload: core.entries[0].status })
    core.emit({ type: 'ipc', name: 'statusChanged', payload: core.entries[0].status })
    expect(window.webContents.send).toHaveBeenCalledWith(eventChannelOf('statusChanged'), core.entries[0].status)
    expect(window.webContents.send).toHaveBeenCalledTimes(2)
    expect(tray.menus).toHaveLength(menusBefore)
    vi.advanceTimersByTime(TRAY_RENDER_DELAY_MS)
    expect(tray.menus).toHaveLength(menusBefore + 1)
    expect(tray.lastMenu[0]?.label).toMatch(/^CRM - Valid until .* - renewal failing/)
    expect(tray.images.at(-1)).toMatch(/attention\.png$/)
  })

  it('renews from the tray, in the datasource\'s own submenu', async () => {
    const { core, tray } = await start()
    const submenu = tray.lastMenu[0]?.submenu as Array<Record<string, unknown>>
    ;(submenu.find((item) => item.label === 'Renew now')?.click as () => void)()
    expect(core.renewNow).toHaveBeenCalledWith('crm')
    expect(tray.lastMenu.filter((item) => item.label === 'Renew now')).toHaveLength(0)
  })

  const openEvents = (window: FakeBrowserWindow) => window.webContents.delivered.filter((message) => message.channel === eventChannelOf('openDatasource'))

  it('shows OS notifications the core asks for; a click opens the window on that datasource', async () => {
    const { core, window } = await start()
    core.emit({ type: 'notification', title: 'CRM needs attention', body: 'The client was rejected', datasourceId: 'crm' })
    const notification = electronState.notifications[0]
    expect(notification?.options).toEqual({ title: 'CRM needs attention', body: 'The client was rejected' })
    expect(notification?.show).toHaveBeenCalled()
    window.hide()
    notification?.emit('click')
    expect(window.visible).toBe(true)
    expect(openEvents(window)).toEqual([{ channel: eventChannelOf('openDatasource'), args: [{ id: 'crm' }] }])
  })

  it('"Show in window" from the tray while the page still loads reaches the page once it has loaded', async () => {
    electronState.holdPageLoads = true
    const { tray, window } = await start()
    const submenu = tray.lastMenu[0]?.submenu as Array<Record<string, unknown>>
    ;(submenu.find((item) => item.label === 'Show in window')?.click as () => void)()
    // Sent now it would reach no listener: Electron drops messages to a page that is not loaded.
    expect(openEvents(window)).toEqual([])
    window.webContents.finishLoad()
    expect(openEvents(window)).toEqual([{ channel: eventChannelOf('openDatasource'), args: [{ id: 'crm' }] }])
  })

  it('brings the window back when a second instance starts', async () => {
    const { window } = await start()
    window.close()
    electronState.app.emit('second-instance')
    expect(window.visible).toBe(true)
  })

  it('tells the user and quits when the core cannot start', async () => {
    const createCore = vi.fn(async () => {
      throw new Error('The database file is damaged')
    })
    await expect(startApp({ createCore, clock, secretStore })).resolves.toBeNull()
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith('Datasource Desk could not start', expect.stringContaining('damaged'))
    expect(electronState.app.quit).toHaveBeenCalled()
    expect(electronState.windows).toHaveLength(0)
  })

  it('logs refused IPC requests with the sending frame, a bounded number of them', async () => {
    const { lines, logger } = recordingLogger()
    const { window } = await start(logger)
    const handler = electronState.ipcHandlers.get(channelOf('listDatasources'))
    for (let index = 0; index < MAX_LOGGED_REFUSALS + 5; index++) await handler?.(invokeEventFrom(window.webContents, { url: 'https://evil.example/' }), {})
    const refusals = lines.filter((line) => line.message.startsWith('IPC request refused'))
    expect(refusals).toHaveLength(MAX_LOGGED_REFUSALS)
    expect(refusals[0]).toMatchObject({ level: 'warn', fields: { method: 'listDatasources', senderUrl: 'https://evil.example/' } })
    expect(refusals.at(-1)?.message).toContain('further refusals are not logged')
  })

  it('logs the core failure it shows in the start-up dialog', async () => {
    const { lines, logger } = recordingLogger()
    const createCore = vi.fn(async () => {
      throw new Error('disk I/O error')
    })
    await expect(startApp({ createCore, clock, secretStore, logger })).resolves.toBeNull()
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith(STARTUP_FAILURE_TITLE, expect.stringContaining('disk I/O error'))
    expect(lines).toContainEqual({ level: 'error', message: STARTUP_FAILURE_TITLE, fields: { error: 'disk I/O error', name: 'Error' } })
  })

  it('shows and logs a failure that escapes startApp (what electron/main/index.ts does with it)', () => {
    const { lines, logger } = recordingLogger()
    reportStartupFailure(new TypeError('Cannot read properties of undefined'), logger)
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith(STARTUP_FAILURE_TITLE, 'Cannot read properties of undefined\n\nData folder: /fake/userData')
    expect(lines[0]).toMatchObject({ level: 'error', fields: { name: 'TypeError' } })
  })

  it('says what to do when the disk under the database is full', async () => {
    const { DatabaseFullError } = await import('../../../electron/core/db/connection')
    reportStartupFailure(new DatabaseFullError('/fake/userData/datasource-desk.sqlite', 'SQLITE_IOERR_SHMSIZE'), recordingLogger().logger)
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith(
      STARTUP_FAILURE_TITLE,
      'The database /fake/userData/datasource-desk.sqlite cannot be opened: there is no space left on its disk (SQLITE_IOERR_SHMSIZE).\n\nNothing was changed. Free some space on that disk, then start Datasource Desk again.\n\nData folder: /fake/userData',
    )
  })

  it('still shows the dialog when even the data folder is unknown', () => {
    electronState.app.getPath.mockImplementation(() => {
      throw new Error('Failed to get userData path')
    })
    reportStartupFailure('not an Error')
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith(STARTUP_FAILURE_TITLE, 'The data folder could not be opened.')
  })

  it('holds each notification until it is clicked or closed, so its click is not lost to the garbage collector', async () => {
    const { core, controller } = await start()
    core.emit({ type: 'notification', title: 'CRM needs attention', body: 'a', datasourceId: 'crm' })
    core.emit({ type: 'notification', title: 'ERP needs attention', body: 'b', datasourceId: 'erp' })
    expect(controller?.heldNotifications()).toBe(2)
    electronState.notifications[0]?.emit('click')
    expect(controller?.heldNotifications()).toBe(1)
    electronState.notifications[1]?.emit('close')
    expect(controller?.heldNotifications()).toBe(0)
  })

  it('quits on close where no tray icon is shown (GNOME Shell), instead of leaving an invisible app', async () => {
    const { core, window } = await start(undefined, false)
    window.close()
    expect(window.hide).not.toHaveBeenCalled()
    expect(electronState.app.quit).toHaveBeenCalled()
    expect(core.close).toHaveBeenCalled()
    await vi.waitFor(() => expect(electronState.app.quitted).toBe(true))
    expect(window.isDestroyed()).toBe(true)
  })

  it('keeps Electron\'s default menu (reload, DevTools) in development only', async () => {
    await start()
    expect(electronState.applicationMenu).toBe('default')
    resetElectronMock()
    electronState.app.isPackaged = true
    await start()
    // On Linux and Windows the packaged app has no menu at all (menu.test.ts has macOS's).
    expect(electronModule.Menu.setApplicationMenu).toHaveBeenCalledTimes(1)
    expect(electronState.applicationMenu).toBeNull()
  })

  it('replaces Node\'s "npm rebuild" advice for a native module built for another runtime', () => {
    reportStartupFailure(
      new Error(
        "The module 'better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 127. This version of Node.js requires NODE_MODULE_VERSION 150. Please try re-compiling or re-installing the module (for instance, using `npm rebuild` or `npm install`).",
      ),
      recordingLogger().logger,
    )
    expect(electronModule.dialog.showErrorBox).toHaveBeenCalledWith(STARTUP_FAILURE_TITLE, expect.stringContaining(ABI_MISMATCH_ADVICE))
    expect(ABI_MISMATCH_ADVICE).toContain('Do not run npm rebuild')
  })
})
