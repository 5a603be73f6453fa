import type { IpcEventName, IpcEvents } from '../../shared/ipc'
import type { ClipboardPort } from './clipboard'
import type { FileDialogPort } from './datasource-transfer'
import type { SecretStore } from './secrets/secret-store'

export type TimerHandle = unknown

/** Time, injected so that tests can run renewal on a controlled clock. */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms)
    // A pending renewal must not keep a CLI or a test process alive on its own.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** Something the core tells the outside world: window events, and the rare OS notification. */
export type CoreEvent =
  | { readonly type: 'ipc'; readonly name: IpcEventName; readonly payload: IpcEvents[IpcEventName] }
  | { readonly type: 'notification'; readonly title: string; readonly body: string; readonly datasourceId: string }

export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void
  error(message: string, fields?: Readonly<Record<string, unknown>>): void
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} }

/** Everything the core needs from its host (Electron's main process, the CLI, or a test). */
export interface CoreDeps {
  /** Folder of the SQLite database. */
  readonly dataDir: string
  readonly secretStore: SecretStore
  /** In the app Electron's net.request behind main's adapter (system proxy, OS certificates); Node's fetch in tests. */
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly notify: (event: CoreEvent) => void
  /** 0..1; injected so that jitter is reproducible in tests. */
  readonly random?: () => number
  readonly logger?: Logger
  /**
   * Runs the orphan sweep this long after start (default 0: at once). The sweep lists every
   * secret (findCredentials), which with gnome-keyring takes seconds at a few hundred datasources
   * and holds the keychain alone meanwhile; the app defers it (APP_SWEEP_DELAY_MS) so
   * that start-up renewals and the window's first keychain calls do not wait behind it.
   */
  readonly sweepDelayMs?: number
  /** The system clipboard for the window's copy actions (Electron's in the app); absent in the CLI. */
  readonly clipboard?: ClipboardPort
  /** Where Export writes and Import reads (Electron's save and open dialogs in the app); absent in the CLI. */
  readonly fileDialogs?: FileDialogPort
}

/** How long after start the app sweeps keychain entries no datasource owns (CoreDeps.sweepDelayMs). */
export const APP_SWEEP_DELAY_MS = 60_000

