/**
 * A stand-in for the `electron` module, for unit tests of electron/main and electron/preload
 * (the Electron binary cannot run on our machines). Use it with
 *   vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)
 * and inspect `electronState`; call `resetElectronMock()` in beforeEach.
 */
import { EventEmitter } from 'node:events'
import { isAbsolute } from 'node:path'
import { vi } from 'vitest'
import { createElectronNetDouble, type DoubleRequestOptions, type ElectronNetDouble } from './electron-net-fetch-double'

let sharedNetDouble: ElectronNetDouble | null = null
function netDouble(): ElectronNetDouble {
  sharedNetDouble ??= createElectronNetDouble()
  return sharedNetDouble
}

export interface FakeEvent {
  defaultPrevented: boolean
  preventDefault(): void
}

export function fakeEvent(): FakeEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true
    },
  }
}

type Handler = (...args: never[]) => unknown

export class FakeSession {
  permissionRequestHandler: Handler | null = null
  permissionCheckHandler: Handler | null = null
  headersReceivedListener: Handler | null = null
  setPermissionRequestHandler(handler: Handler | null): void {
    this.permissionRequestHandler = handler
  }
  setPermissionCheckHandler(handler: Handler | null): void {
    this.permissionCheckHandler = handler
  }
  readonly webRequest = {
    onHeadersReceived: (listener: Handler): void => {
      this.headersReceivedListener = listener
    },
  }
}

let nextContentsId = 1

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++
  readonly session = new FakeSession()
  readonly mainFrame = { processId: 7, routingId: this.id * 10, url: '', parent: null }
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
  destroyed = false
  /**
   * Like Electron: a message sent to a page that has not finished loading reaches no listener (the
   * renderer subscribes while its scripts run). `send` records every call; `delivered` only those
   * made while the page was loaded.
   */
  readonly send = vi.fn((channel: string, ...args: unknown[]) => {
    if (!this.loading && this.mainFrame.url !== '') this.delivered.push({ channel, args })
  })
  readonly delivered: Array<{ channel: string; args: unknown[] }> = []
  loading = false
  #loaded: Array<() => void> = []
  isLoading(): boolean {
    return this.loading
  }
  /** Starts a navigation; loadFile/loadURL resolve when it finishes (did-finish-load), as in Electron. */
  startLoad(url: string): Promise<void> {
    this.mainFrame.url = url
    this.loading = true
    const done = new Promise<void>((resolve) => this.#loaded.push(resolve))
    if (!electronState.holdPageLoads) queueMicrotask(() => this.finishLoad())
    return done
  }
  /** Test helper (not Electron API): the page finished loading. */
  finishLoad(): void {
    if (!this.loading) return
    this.loading = false
    this.emit('did-finish-load')
    for (const resolve of this.#loaded.splice(0)) resolve()
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents()
  visible = false
  destroyed = false
  minimized = false
  readonly loadFile = vi.fn((path: string) => this.webContents.startLoad(`file://${path}`))
  readonly loadURL = vi.fn((url: string) => this.webContents.startLoad(url))
  readonly show = vi.fn(() => void (this.visible = true))
  readonly hide = vi.fn(() => void (this.visible = false))
  readonly focus = vi.fn()
  readonly restore = vi.fn(() => void (this.minimized = false))

  constructor(readonly options: Record<string, unknown>) {
    super()
    electronState.windows.push(this)
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  isMinimized(): boolean {
    return this.minimized
  }
  isVisible(): boolean {
    return this.visible
  }
  /** What a click on the window's close button does. */
  close(): FakeEvent {
    const event = fakeEvent()
    this.emit('close', event)
    if (!event.defaultPrevented) {
      this.destroyed = true
      this.webContents.destroyed = true
      this.emit('closed')
    }
    return event
  }
}

export class FakeTray extends EventEmitter {
  readonly images: unknown[] = []
  readonly menus: Array<{ template: Array<Record<string, unknown>> }> = []
  tooltip = ''
  destroyed = false
  constructor(image: unknown) {
    super()
    this.images.push(image)
    electronState.trays.push(this)
  }
  setImage(image: unknown): void {
    this.images.push(image)
  }
  setToolTip(tooltip: string): void {
    this.tooltip = tooltip
  }
  setContextMenu(menu: { template: Array<Record<string, unknown>> }): void {
    this.menus.push(menu)
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  destroy(): void {
    this.destroyed = true
  }
  get lastMenu(): Array<Record<string, unknown>> {
    return this.menus.at(-1)?.template ?? []
  }
}

export class FakeNotification extends EventEmitter {
  static isSupported = vi.fn(() => true)
  readonly show = vi.fn()
  constructor(readonly options: { title: string; body: string }) {
    super()
    electronState.notifications.push(this)
  }
}

class FakeApp extends EventEmitter {
  hasLock = true
  ready = true
  isPackaged = false
  readonly requestSingleInstanceLock = vi.fn(() => this.hasLock)
  readonly enableSandbox = vi.fn()
  readonly setAppUserModelId = vi.fn()
  readonly exit = vi.fn()
  readonly whenReady = vi.fn(async () => {})
  readonly isReady = vi.fn(() => this.ready)
  /** Paths changed with setPath; the rest are /fake/<name>. */
  readonly paths = new Map<string, string>()
  // Electron's app.setPath throws for a relative path (shell/browser/api/electron_api_app.cc).
  readonly setPath = vi.fn((name: string, value: string) => {
    if (!isAbsolute(value)) throw new Error('Path must be absolute')
    this.paths.set(name, value)
  })
  readonly getPath = vi.fn((name: string) => this.paths.get(name) ?? `/fake/${name}`)
  readonly getAppPath = vi.fn(() => '/fake/app')
  quitted = false
  /** Like Electron: emits before-quit, and quits unless a listener prevented it. */
  readonly quit = vi.fn(() => {
    const event = fakeEvent()
    this.emit('before-quit', event)
    if (!event.defaultPrevented) {
      this.quitted = true
      for (const window of electronState.windows) if (!window.destroyed) window.close()
    }
  })
}

/**
 * The text Windows and Linux show for a menu label: a single '&' marks the next letter as the
 * access key and is not shown; '&&' shows one '&'. (macOS shows labels as they are.)
 */
export function shownMenuLabel(label: string): string {
  return label.replace(/&(&?)/g, (_match, literal: string) => literal)
}

export interface ElectronState {
  app: FakeApp
  windows: FakeBrowserWindow[]
  trays: FakeTray[]
  notifications: FakeNotification[]
  ipcHandlers: Map<string, (...args: unknown[]) => unknown>
  exposed: Map<string, unknown>
  powerMonitor: EventEmitter
  /** What Menu.setApplicationMenu was given; 'default' while Electron's default menu stays. */
  applicationMenu: { template: Array<Record<string, unknown>> } | null | 'default'
  /** True: pages stay loading until a test calls webContents.finishLoad(). */
  holdPageLoads: boolean
}

export const electronState: ElectronState = {
  app: new FakeApp(),
  windows: [],
  trays: [],
  notifications: [],
  ipcHandlers: new Map(),
  exposed: new Map(),
  powerMonitor: new EventEmitter(),
  applicationMenu: 'default',
  holdPageLoads: false,
}

const ipcRendererListeners = new EventEmitter()

/** Electron's clipboard as far as main uses it: one text slot. */
function fakeClipboard(): { writeText: (text: string) => void; readText: () => string } {
  let text = ''
  return {
    writeText: vi.fn((next: string) => {
      text = next
    }),
    readText: vi.fn(() => text),
  }
}

export const electronModule = {
  get app() {
    return electronState.app
  },
  get powerMonitor() {
    return electronState.powerMonitor
  },
  BrowserWindow: FakeBrowserWindow,
  Tray: FakeTray,
  Notification: FakeNotification,
  Menu: {
    buildFromTemplate: (template: Array<Record<string, unknown>>) => ({ template }),
    setApplicationMenu: vi.fn((menu: { template: Array<Record<string, unknown>> } | null) => void (electronState.applicationMenu = menu)),
  },
  shell: { openExternal: vi.fn(async () => {}) },
  // showMessageBox answers "Quit" (button 1) unless a test sets mockResolvedValueOnce. The file
  // dialogs answer as a user who cancels does (electron.d.ts: filePath '' and filePaths []); a test
  // picks a file with mockResolvedValueOnce. Like Electron, each takes (window, options) or (options).
  dialog: {
    showErrorBox: vi.fn(),
    showMessageBox: vi.fn(async () => ({ response: 1, checkboxChecked: false })),
    showSaveDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePath: '' })),
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePaths: [] as string[] })),
  },
  // net.request runs on the Electron net double (real sockets, Electron's behaviour; no DNS).
  net: { request: vi.fn((options: DoubleRequestOptions) => netDouble().request(options)) },
  clipboard: fakeClipboard(),
  ipcMain: {
    handle: (channel: string, listener: (...args: unknown[]) => unknown) => {
      if (electronState.ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
      electronState.ipcHandlers.set(channel, listener)
    },
    removeHandler: (channel: string) => void electronState.ipcHandlers.delete(channel),
  },
  ipcRenderer: {
    invoke: vi.fn(async (channel: string, payload: unknown) => ({ ok: true, value: { channel, payload } })),
    on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => ipcRendererListeners.on(channel, listener)),
    removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => ipcRendererListeners.removeListener(channel, listener)),
    /** Test helper (not Electron API): delivers a message from main. */
    emitFromMain: (channel: string, payload: unknown) => ipcRendererListeners.emit(channel, { sender: 'ipc-renderer-event' }, payload),
    listenerCount: (channel: string) => ipcRendererListeners.listenerCount(channel),
  },
  contextBridge: {
    exposeInMainWorld: vi.fn((key: string, api: unknown) => void electronState.exposed.set(key, api)),
  },
}

export function resetElectronMock(): void {
  electronState.app = new FakeApp()
  electronState.windows = []
  electronState.trays = []
  electronState.notifications = []
  electronState.ipcHandlers = new Map()
  electronState.exposed = new Map()
  electronState.powerMonitor = new EventEmitter()
  electronState.applicationMenu = 'default'
  electronState.holdPageLoads = false
  ipcRendererListeners.removeAllListeners()
  vi.clearAllMocks()
}

/** An IpcMainInvokeEvent as sent by a frame of `contents`. */
export function invokeEventFrom(
  contents: FakeWebContents,
  frame: { processId?: number; routingId?: number; url?: string; parent?: unknown } | null = {},
): unknown {
  return {
    sender: contents,
    senderFrame:
      frame === null
        ? null
        : {
            processId: frame.processId ?? contents.mainFrame.processId,
            routingId: frame.routingId ?? contents.mainFrame.routingId,
            url: frame.url ?? contents.mainFrame.url,
            parent: frame.parent ?? null,
          },
  }
}
