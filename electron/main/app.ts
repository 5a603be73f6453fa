/**
 * The application's lifecycle: one instance, the core, the window, the tray, and the wiring
 * between them. Separate from index.ts so that tests can start it with a mocked `electron` module
 * and a fake core.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, clipboard, dialog, net, Notification, powerMonitor } from 'electron'
import type { Core } from '../core/core'
import { moveCorruptDatabaseAside } from '../core/corrupt-database'
import { DatabaseCorruptError, DatabaseFullError } from '../core/db/connection'
import { APP_SWEEP_DELAY_MS, systemClock, type Clock, type CoreDeps, type CoreEvent, type Logger } from '../core/deps'
import { createFileLogger } from '../core/file-logger'
import { DATA_DIR_ENV, DEFAULT_KEYCHAIN_SERVICE, keychainServiceName, type Env } from '../core/locations'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'
import type { SecretStore } from '../core/secrets/secret-store'
import { buildTrayModel, type TrayAction, type TrayModel } from '../core/tray-model'
import type { Severity } from '../../shared/token'
import { createSenderCheck, pushEvent, registerIpcMainHandlers, type RegisterOptions } from './ipc'
import { createFileDialogs } from './file-dialogs'
import { createRequestFetch } from '../core/request-fetch'
import { installApplicationMenu } from './menu'
import { createTrayView, runTrayAction, type TrayActions, type TrayView } from './tray'
import { trayIsShown } from './tray-support'
import { createAppUrlCheck, type RendererTarget } from './app-url'
import { createMainWindow, hardenWebContents } from './window'

/** What main needs from the core; the full Core satisfies it, tests pass a fake. */
export type CoreLike = Pick<Core, 'handlers' | 'snapshot' | 'renewNow' | 'recheck' | 'close'>

export const KEYCHAIN_SERVICE = DEFAULT_KEYCHAIN_SERVICE
/** Set to "1" by the e2e harness (electron target): exposes the tray model to electronApp.evaluate. */
export const E2E_ENV = 'DATASOURCE_DESK_E2E'
/** Where the tray model is exposed under E2E_ENV; tests/e2e/fixtures.ts reads it. */
export const TRAY_MODEL_GLOBAL = '__datasourceDeskTrayModel'
/** Where the tray's action runner is exposed under E2E_ENV (tests/e2e/fixtures.ts). */
export const TRAY_RUN_GLOBAL = '__datasourceDeskTrayRun'
export const APP_USER_MODEL_ID = 'dev.datasourcedesk.app'

export interface StartOptions {
  readonly createCore: (deps: CoreDeps) => Promise<CoreLike>
  /** Defaults to the OS keychain under KEYCHAIN_SERVICE (or DATASOURCE_DESK_KEYCHAIN_SERVICE). */
  readonly secretStore?: SecretStore
  readonly clock?: Clock
  /** Defaults to the core's; tests pass a stand-in. */
  readonly moveCorruptDatabaseAside?: (dataDir: string) => string[]
  /** Defaults to JSON lines in <userData>/logs/datasource-desk.log. */
  readonly logger?: Logger
  /** Defaults to process.env; read for the data folder, keychain service and e2e overrides. */
  readonly env?: Env
  /** Whether the user will see the tray icon (tray-support.ts); without one, closing the window quits. */
  readonly trayIsShown?: () => Promise<boolean>
}

export interface AppController {
  readonly core: CoreLike
  getWindow(): BrowserWindow | null
  /** Shows the window; with a datasource id, opened on that datasource. */
  showWindow(datasourceId?: string): void
  /** Rebuilds the tray menu from the core's current snapshot. */
  renderTray(): void
  /** Notifications shown and not yet clicked or closed: held so they are not garbage-collected. */
  heldNotifications(): number
}

/** Status events come in bursts (many renewals at once); the menu is rebuilt once per burst. */
export const TRAY_RENDER_DELAY_MS = 150
/** Relative times in the menu ("in 12 min") go stale; refresh them this often. */
export const TRAY_REFRESH_MS = 60_000
/** Quitting waits this long at most for the core to close its database. */
const CLOSE_TIMEOUT_MS = 5_000

/**
 * Starts the app. Resolves to null when another instance already runs (this one then quits and the
 * other shows its window) or when the core could not start.
 */
export async function startApp(options: StartOptions): Promise<AppController | null> {
  const env = options.env ?? process.env
  // Before the single-instance lock, which Electron keys on userData: each e2e run gets its own
  // folder (database and Chromium profile) and may run next to another instance.
  const dataDirOverride = env[DATA_DIR_ENV]?.trim()
  // app.setPath throws for a relative path; relative to the start folder, as the CLI reads it.
  if (dataDirOverride) app.setPath('userData', resolve(dataDirOverride))
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return null
  }
  // Every renderer sandboxed, even one created by mistake without the option.
  app.enableSandbox()
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID)

  const clock = options.clock ?? systemClock
  const paths = resolvePaths(env)
  const isAppUrl = createAppUrlCheck(paths.target)
  let window: BrowserWindow | null = null
  let tray: TrayView | null = null
  let core: CoreLike | null = null
  let quitting = false
  let coreClosed = false
  let renderTimer: ReturnType<typeof setTimeout> | null = null
  let trayShown = true
  // An unreferenced Notification can be garbage-collected before its click arrives.
  const notifications = new Set<Notification>()

  function getWindow(): BrowserWindow | null {
    return window && !window.isDestroyed() ? window : null
  }

  // A datasource to open once the window's page has loaded: a message sent before that is lost.
  let pendingOpen: string | null = null

  function openDatasourceIn(target: BrowserWindow, id: string): void {
    const contents = target.webContents
    if (!contents.isLoading()) return pushEvent(contents, 'openDatasource', { id })
    // The renderer subscribes while its scripts run, which is before did-finish-load.
    if (pendingOpen === null) {
      contents.once('did-finish-load', () => {
        const queued = pendingOpen
        pendingOpen = null
        if (queued !== null) pushEvent(contents, 'openDatasource', { id: queued })
      })
    }
    pendingOpen = id
  }

  function showWindow(datasourceId?: string): void {
    if (!app.isReady() || quitting) return
    let current = getWindow()
    if (current && datasourceId !== undefined) openDatasourceIn(current, datasourceId)
    if (!current) {
      current = createMainWindow({ preloadPath: paths.preload, target: paths.target, iconPath: paths.appIcon })
      current.on('close', (event) => {
        if (quitting) return
        event.preventDefault()
        // Closing the window keeps the app in the tray so renewal goes on; only Quit quits. Without
        // a visible tray (GNOME Shell) a hidden window would leave an app nobody can reach: quit.
        if (trayShown) current?.hide()
        else app.quit()
      })
      current.on('closed', () => {
        window = null
        pendingOpen = null
      })
      window = current
      if (datasourceId !== undefined) openDatasourceIn(current, datasourceId)
      return
    }
    if (current.isMinimized()) current.restore()
    current.show()
    current.focus()
  }

  function renderTray(): void {
    if (renderTimer) clearTimeout(renderTimer)
    renderTimer = null
    if (!tray || !core) return
    tray.render(currentTrayModel(core))
  }

  function currentTrayModel(from: CoreLike): TrayModel {
    return buildTrayModel(from.snapshot(), clock.now())
  }

  function scheduleTrayRender(): void {
    renderTimer ??= setTimeout(renderTray, TRAY_RENDER_DELAY_MS)
  }

  function notify(event: CoreEvent): void {
    if (event.type === 'ipc') {
      pushEvent(getWindow()?.webContents, event.name, event.payload)
      scheduleTrayRender()
      return
    }
    if (!Notification.isSupported()) return
    const notification = new Notification({ title: event.title, body: event.body })
    const release = (): boolean => notifications.delete(notification)
    notification.on('click', () => {
      release()
      // The notification is about one datasource: open the window on it.
      showWindow(event.datasourceId)
    })
    notification.on('close', release)
    notification.on('failed', release)
    notifications.add(notification)
    notification.show()
  }

  // Electron's checklist: lock down every WebContents, also one created by something other than
  // createMainWindow (a devtools extension, a future feature), before it can navigate.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
  app.on('second-instance', () => showWindow())
  app.on('activate', () => showWindow())
  // Without a listener Electron quits when the last window closes; the tray keeps us alive.
  app.on('window-all-closed', () => {})
  let closingCore = false
  app.on('before-quit', (event) => {
    quitting = true
    if (coreClosed || !core) return
    // Let the core finish writing before the process goes; then quit for real.
    event.preventDefault()
    if (closingCore) return
    closingCore = true
    const closing = core.close().catch(() => {})
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS))
    // Neither side rejects (closing is caught), so nothing here can go unhandled.
    void Promise.race([closing, deadline]).then(() => {
      coreClosed = true
      tray?.destroy()
      app.quit()
    })
  })

  await app.whenReady()
  installApplicationMenu(app.isPackaged)
  // Asked while the core starts, so the window does not wait for the session bus.
  const trayQuery = (options.trayIsShown ?? trayIsShown)().catch(() => false)

  const logger = options.logger ?? createFileLogger(join(app.getPath('userData'), 'logs'))
  // Not net.fetch itself: see electron/core/request-fetch.ts for what it would get wrong.
  const fetchViaNet = createRequestFetch((requestOptions) => net.request(requestOptions))
  const coreDeps: CoreDeps = {
    dataDir: app.getPath('userData'),
    secretStore: options.secretStore ?? createKeytarSecretStore(keychainServiceName(env)),
    fetch: fetchViaNet,
    clock,
    notify,
    logger,
    sweepDelayMs: APP_SWEEP_DELAY_MS,
    // The window's copy actions: main writes the token to the clipboard, the renderer never holds it.
    clipboard: { writeText: (text) => clipboard.writeText(text), readText: () => clipboard.readText() },
    // Export and Import: main asks where, the core reads and writes the file.
    fileDialogs: createFileDialogs(getWindow, () => app.getPath('documents')),
  }
  try {
    core = await options.createCore(coreDeps).catch(async (error: unknown) => {
      if (!(error instanceof DatabaseCorruptError)) throw error
      if (!(await offerFreshStart(error))) return null
      // Moved aside (never deleted), then exactly one more try: a second failure quits, no loop.
      ;(options.moveCorruptDatabaseAside ?? moveCorruptDatabaseAside)(coreDeps.dataDir)
      return options.createCore(coreDeps)
    })
  } catch (error) {
    reportStartupFailure(error, logger)
  }
  if (!core) {
    coreClosed = true
    app.quit()
    return null
  }
  const started = core

  registerIpcMainHandlers(started.handlers, createSenderCheck(getWindow, isAppUrl), ipcLogging(logger))

  trayShown = await trayQuery
  if (!trayShown) logger.info('No tray icon host on this desktop: closing the window quits the app')

  const trayActions: TrayActions = {
    renew: (id) => void started.renewNow(id).catch(() => {}),
    open: (id) => showWindow(id),
    quit: () => app.quit(),
  }
  tray = createTrayView((severity) => paths.trayIcon(severity), trayActions)
  renderTray()
  if (env[E2E_ENV] === '1') {
    // A getter, so the harness always reads the model as the menu would show it right now.
    Object.defineProperty(globalThis, TRAY_MODEL_GLOBAL, { configurable: true, get: () => currentTrayModel(started) })
    // What a click on a menu item runs: the harness cannot click a native menu.
    Object.defineProperty(globalThis, TRAY_RUN_GLOBAL, { configurable: true, value: (action: TrayAction) => runTrayAction(action, trayActions) })
  }
  const refresh = setInterval(renderTray, TRAY_REFRESH_MS)
  refresh.unref?.()

  // Timers do not run during sleep and the wall clock may have jumped: re-evaluate every deadline.
  powerMonitor.on('resume', () => started.recheck())
  powerMonitor.on('unlock-screen', () => started.recheck())

  showWindow()
  return { core: started, getWindow, showWindow, renderTray, heldNotifications: () => notifications.size }
}

export const STARTUP_FAILURE_TITLE = 'Datasource Desk could not start'
const DISK_FULL_ADVICE = 'Nothing was changed. Free some space on that disk, then start Datasource Desk again.'

/**
 * Tells the user about a failure before (or instead of) the window, and writes it to the log.
 * dialog.showErrorBox is the one thing Electron can show before 'ready'; without it the app would
 * just not appear, with the reason on a console nobody sees.
 */
export function reportStartupFailure(error: unknown, logger?: Logger): void {
  const message = error instanceof Error ? error.message : 'The data folder could not be opened.'
  let dataDir: string | null = null
  try {
    dataDir = app.getPath('userData')
  } catch {
    // The failure may be the data folder itself.
  }
  const log = logger ?? (dataDir ? createFileLogger(join(dataDir, 'logs')) : null)
  log?.error(STARTUP_FAILURE_TITLE, { error: message, ...(error instanceof Error ? { name: error.name } : {}) })
  console.error(`${STARTUP_FAILURE_TITLE}: ${message}`)
  const advice = ABI_MISMATCH.test(message) ? ABI_MISMATCH_ADVICE : error instanceof DatabaseFullError ? DISK_FULL_ADVICE : null
  const shown = advice ? `${message}\n\n${advice}` : message
  dialog.showErrorBox(STARTUP_FAILURE_TITLE, dataDir ? `${shown}\n\nData folder: ${dataDir}` : shown)
}

// Node's own message for a native module built for another runtime ends with "npm rebuild"
// advice, which would rebuild for Node and break the app again (only N-API modules load in both).
const ABI_MISMATCH = /NODE_MODULE_VERSION|compiled against a different Node\.js version/
export const ABI_MISMATCH_ADVICE =
  'A native module in this installation was built for a different runtime. Do not run npm rebuild: reinstall with `npm ci` on Node.js 22.12 or later (the app needs N-API modules, which load in both Node and Electron).'

/** Refusals are logged, but a frame that keeps calling cannot fill the disk: the first few only. */
export const MAX_LOGGED_REFUSALS = 20

function ipcLogging(logger: Logger): RegisterOptions {
  let refusals = 0
  return {
    onRefused(method, senderUrl) {
      refusals++
      if (refusals > MAX_LOGGED_REFUSALS) return
      const more = refusals === MAX_LOGGED_REFUSALS ? ' (further refusals are not logged)' : ''
      logger.warn(`IPC request refused: the sender is not the app window showing its renderer${more}`, { method, senderUrl })
    },
    onHandlerError(method, error) {
      logger.error('IPC handler threw', { method, error: error instanceof Error ? error.name : typeof error })
    },
  }
}

export const MOVE_ASIDE_BUTTON = 'Move aside and start fresh'

/** Tells the user the database is damaged and asks what to do; true for "Move aside". */
async function offerFreshStart(error: DatabaseCorruptError): Promise<boolean> {
  const { response } = await dialog.showMessageBox({
    type: 'error',
    title: 'Datasource Desk',
    message: 'The Datasource Desk database is damaged and cannot be opened.',
    detail:
      `${error.message}\n\n"${MOVE_ASIDE_BUTTON}" renames the damaged file (it is kept, not deleted, in the data folder, ` +
      'named "datasource-desk.corrupt-<date>.sqlite") and starts with an empty list; the keychain entries of the old ' +
      'datasources are then removed. "Quit" changes nothing.',
    buttons: [MOVE_ASIDE_BUTTON, 'Quit'],
    // Closing the dialog or pressing Escape is "Quit": nothing is moved without a clear choice.
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  })
  return response === 0
}

interface AppPaths {
  readonly preload: string
  readonly target: RendererTarget
  readonly appIcon: string
  trayIcon(severity: Severity): string
}

function resolvePaths(env: Env): AppPaths {
  // out/main/index.js at run time; the preload and renderer are built next to it.
  const here = dirname(fileURLToPath(import.meta.url))
  const resources = join(app.getAppPath(), 'resources')
  // Only an unpackaged (development) app may be pointed at a dev server by the environment.
  const devUrl = !app.isPackaged ? env.ELECTRON_RENDERER_URL : undefined
  return {
    preload: join(here, '../preload/index.cjs'),
    target: devUrl ? { kind: 'dev', url: devUrl } : { kind: 'file', path: join(here, '../renderer/index.html') },
    appIcon: join(resources, 'icon.png'),
    // Electron picks the @2x file next to it on high-density screens.
    trayIcon: (severity) => join(resources, 'tray', `${severity}.png`),
  }
}
