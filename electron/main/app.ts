/**
 * The application's lifecycle: one instance, the core, the window, the tray, and the wiring
 * between them. Separate from index.ts so that tests can start it with a mocked `electron` module
 * and a fake core.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, net, Notification, powerMonitor } from 'electron'
import type { Core } from '../core/core'
import { systemClock, type Clock, type CoreDeps, type CoreEvent, type FetchLike } from '../core/deps'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'
import type { SecretStore } from '../core/secrets/secret-store'
import { buildTrayModel } from '../core/tray-model'
import type { Severity } from '../../shared/token'
import { createSenderCheck, pushEvent, registerIpcMainHandlers } from './ipc'
import { createTrayView, type TrayView } from './tray'
import { createAppUrlCheck, createMainWindow, type RendererTarget } from './window'

/** What main needs from the core; the full Core satisfies it, tests pass a fake. */
export type CoreLike = Pick<Core, 'handlers' | 'snapshot' | 'renewNow' | 'recheck' | 'close'>

export const KEYCHAIN_SERVICE = 'Datasource Desk'
export const APP_USER_MODEL_ID = 'dev.datasourcedesk.app'

export interface StartOptions {
  readonly createCore: (deps: CoreDeps) => Promise<CoreLike>
  /** Defaults to the OS keychain under KEYCHAIN_SERVICE. */
  readonly secretStore?: SecretStore
  readonly clock?: Clock
}

export interface AppController {
  readonly core: CoreLike
  getWindow(): BrowserWindow | null
  showWindow(): void
  /** Rebuilds the tray menu from the core's current snapshot. */
  renderTray(): void
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
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return null
  }
  // Every renderer sandboxed, even one created by mistake without the option.
  app.enableSandbox()
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID)

  const clock = options.clock ?? systemClock
  const paths = resolvePaths()
  const isAppUrl = createAppUrlCheck(paths.target)
  let window: BrowserWindow | null = null
  let tray: TrayView | null = null
  let core: CoreLike | null = null
  let quitting = false
  let coreClosed = false
  let renderTimer: ReturnType<typeof setTimeout> | null = null

  function getWindow(): BrowserWindow | null {
    return window && !window.isDestroyed() ? window : null
  }

  function showWindow(): void {
    if (!app.isReady() || quitting) return
    let current = getWindow()
    if (!current) {
      current = createMainWindow({ preloadPath: paths.preload, target: paths.target, iconPath: paths.appIcon })
      current.on('close', (event) => {
        // Closing the window keeps the app in the tray so renewal goes on; only Quit quits.
        if (quitting) return
        event.preventDefault()
        current?.hide()
      })
      current.on('closed', () => {
        window = null
      })
      window = current
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
    tray.render(buildTrayModel(core.snapshot(), clock.now()))
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
    notification.on('click', () => showWindow())
    notification.show()
  }

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
    void Promise.race([closing, deadline]).then(() => {
      coreClosed = true
      tray?.destroy()
      app.quit()
    })
  })

  await app.whenReady()

  const fetchViaNet: FetchLike = (input, init) => net.fetch(input instanceof URL ? input.href : input, init)
  try {
    core = await options.createCore({
      dataDir: app.getPath('userData'),
      secretStore: options.secretStore ?? createKeytarSecretStore(KEYCHAIN_SERVICE),
      fetch: fetchViaNet,
      clock,
      notify,
    })
  } catch (error) {
    dialog.showErrorBox(
      'Datasource Desk could not start',
      `${error instanceof Error ? error.message : 'The data folder could not be opened.'}\n\nData folder: ${app.getPath('userData')}`,
    )
    coreClosed = true
    app.quit()
    return null
  }
  const started = core

  registerIpcMainHandlers(started.handlers, createSenderCheck(getWindow, isAppUrl))

  tray = createTrayView((severity) => paths.trayIcon(severity), {
    renew: (id) => void started.renewNow(id).catch(() => {}),
    open: () => showWindow(),
    quit: () => app.quit(),
  })
  renderTray()
  const refresh = setInterval(renderTray, TRAY_REFRESH_MS)
  refresh.unref?.()

  // Timers do not run during sleep and the wall clock may have jumped: re-evaluate every deadline.
  powerMonitor.on('resume', () => started.recheck())
  powerMonitor.on('unlock-screen', () => started.recheck())

  showWindow()
  return { core: started, getWindow, showWindow, renderTray }
}

interface AppPaths {
  readonly preload: string
  readonly target: RendererTarget
  readonly appIcon: string
  trayIcon(severity: Severity): string
}

function resolvePaths(): AppPaths {
  // out/main/index.js at run time; the preload and renderer are built next to it.
  const here = dirname(fileURLToPath(import.meta.url))
  const resources = join(app.getAppPath(), 'resources')
  // Only an unpackaged (development) app may be pointed at a dev server by the environment.
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
  return {
    preload: join(here, '../preload/index.cjs'),
    target: devUrl ? { kind: 'dev', url: devUrl } : { kind: 'file', path: join(here, '../renderer/index.html') },
    appIcon: join(resources, 'icon.png'),
    // Electron picks the @2x file next to it on high-density screens.
    trayIcon: (severity) => join(resources, 'tray', `${severity}.png`),
  }
}
