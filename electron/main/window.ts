/**
 * The one application window, locked down along Electron's security checklist: isolated, sandboxed
 * renderer without Node, no navigation, no new windows, no permissions, and a strict CSP.
 */
import { BrowserWindow, shell, type Session, type WebContents } from 'electron'
import type { RendererTarget } from './app-url'

export type { RendererTarget } from './app-url'

export interface MainWindowOptions {
  /** Absolute path of the CommonJS preload (out/preload/index.cjs). */
  readonly preloadPath: string
  readonly target: RendererTarget
  readonly iconPath?: string
}

/**
 * The CSP sent as a response header, and the one renderer/index.html must carry in its meta tag
 * (file:// responses have no headers to put it in). Development adds what Vite's dev server needs:
 * inline styles for hot-reloaded SFC styles and its websocket.
 */
export function contentSecurityPolicy(target: RendererTarget): string {
  const dev = target.kind === 'dev' ? new URL(target.url) : null
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    // The page does no I/O of its own: everything goes through window.api.
    dev ? `connect-src 'self' ${dev.protocol === 'https:' ? 'wss' : 'ws'}://${dev.host}` : "connect-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ]
  return directives.join('; ')
}

/**
 * Links the user may open in the system browser: https only, no user:password@ part (it hides
 * the real host in a prompt). Everything else is dropped.
 */
export function isSafeExternalUrl(url: string): boolean {
  const parsed = parseUrl(url)
  return parsed !== null && parsed.protocol === 'https:' && parsed.hostname !== '' && parsed.username === '' && parsed.password === ''
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  // The Electronegativity suppressions below are reviewed findings (tests/unit/build/electronegativity.test.ts).
  const window = new BrowserWindow({ // eng-disable AUXCLICK_JS_CHECK: a middle-click opens no window, setWindowOpenHandler denies every one
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Datasource Desk',
    autoHideMenuBar: true,
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: options.preloadPath, // eng-disable PRELOAD_JS_CHECK: it exposes only the contract's named methods (tests/unit/main/preload.test.ts)
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    },
  })
  hardenSession(window.webContents.session, options.target)
  hardenWebContents(window.webContents)
  window.once('ready-to-show', () => window.show())
  // Not awaited: the window is returned at once; loadRenderer handles its own failure.
  void loadRenderer(window, options.target)
  return window
}

/** No navigation away from the app, no new windows, no <webview>; https links go to the browser. */
export function hardenWebContents(contents: WebContents): void {
  // Everything the app shows is in its single page; a navigation is a bug or an attack.
  contents.on('will-navigate', (event) => event.preventDefault())
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url).catch(() => {}) // eng-disable OPEN_EXTERNAL_JS_CHECK: https only, no credentials, validated just before
    return { action: 'deny' }
  })
}

/** Denies every permission (camera, notifications, geolocation...), and adds the CSP header. */
export function hardenSession(session: Session, target: RendererTarget): void {
  const policy = contentSecurityPolicy(target)
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders }
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-security-policy') delete headers[name]
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [policy] } }) // eng-disable CSP_GLOBAL_CHECK: a variable the scanner cannot read; contentSecurityPolicy() is unit-tested
  })
}

async function loadRenderer(window: BrowserWindow, target: RendererTarget): Promise<void> {
  try {
    if (target.kind === 'dev') await window.loadURL(target.url)
    else await window.loadFile(target.path)
  } catch {
    // A failed load leaves a blank window; show it anyway so the user is not left with nothing.
    if (!window.isDestroyed()) window.show()
  }
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}
