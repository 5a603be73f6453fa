/**
 * The only place in the main process that touches ipcMain. Every request channel of the contract
 * gets one handler; each call first checks that it comes from our window's main frame showing our
 * renderer, then hands the raw payload to the core, which validates it with the shared schema.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { appError, fail, type AppError } from '../../shared/errors'
import { channelOf, eventChannelOf, ipcMethods, type HandlerTable, type IpcEventName, type IpcEvents, type IpcMethod } from '../../shared/ipc'

/** The part of ipcMain this module needs, so the registration is testable without Electron. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

/** Decides whether an IPC message may be served; must not throw, but a throw counts as "no". */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean

export const untrustedSenderError: AppError = appError(
  'internal',
  'untrusted-sender',
  'This request did not come from the Datasource Desk window and was refused.',
)

const handlerFailedError: AppError = appError(
  'internal',
  'handler-failed',
  'Something went wrong inside Datasource Desk. The request was not completed.',
  { hint: 'Try again. If it keeps happening, restart the app.' },
)

export interface RegisterOptions {
  /** Told about a handler that threw (a bug: handlers return Results); never shown to the renderer. */
  readonly onHandlerError?: (method: IpcMethod, error: unknown) => void
  /** Told about every refused request, with the sending frame's URL ('' when it has none). */
  readonly onRefused?: (method: IpcMethod, senderUrl: string) => void
}

/**
 * Registers one ipcMain.handle per contract method and returns the function that removes them.
 * Never throws across IPC: Electron would forward only an Error's message, so a refused sender or
 * a failing handler becomes a typed AppError result instead.
 */
export function registerHandlers(
  ipc: IpcMainLike,
  handlers: HandlerTable,
  isTrustedSender: SenderCheck,
  options: RegisterOptions = {},
): () => void {
  for (const method of ipcMethods) {
    const handler = handlers[method] as (payload: unknown) => Promise<unknown>
    ipc.handle(channelOf(method), async (event, payload) => {
      if (!safeCheck(isTrustedSender, event)) {
        options.onRefused?.(method, senderUrlOf(event))
        return fail(untrustedSenderError)
      }
      try {
        return await handler(payload)
      } catch (error) {
        options.onHandlerError?.(method, error)
        return fail(handlerFailedError)
      }
    })
  }
  return () => {
    for (const method of ipcMethods) ipc.removeHandler(channelOf(method))
  }
}

/** registerHandlers on Electron's own ipcMain. */
export function registerIpcMainHandlers(handlers: HandlerTable, isTrustedSender: SenderCheck, options?: RegisterOptions): () => void {
  return registerHandlers(ipcMain, handlers, isTrustedSender, options)
}

/** The window whose main frame may talk to us, as far as the sender check needs to know it. */
export interface TrustedWindowLike {
  isDestroyed(): boolean
  readonly webContents: {
    readonly id: number
    readonly mainFrame: { readonly processId: number; readonly routingId: number }
  }
}

/**
 * A sender is trusted when it is the current window's WebContents, the message comes from that
 * window's main frame (not an iframe, which could show anything), and the frame shows our renderer
 * (file:// of the built index.html, or the dev server in development).
 */
export function createSenderCheck(getWindow: () => TrustedWindowLike | null, isAppUrl: (url: string) => boolean): SenderCheck {
  return (event) => {
    const window = getWindow()
    if (!window || window.isDestroyed()) return false
    if (event.sender.id !== window.webContents.id) return false
    const frame = event.senderFrame
    if (!frame || frame.parent !== null) return false
    const main = window.webContents.mainFrame
    if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false
    return isAppUrl(frame.url)
  }
}

/** The part of WebContents needed to push an event. */
export interface EventSink {
  isDestroyed(): boolean
  send(channel: string, ...args: unknown[]): void
}

/** Pushes a typed contract event to the window; a closed or missing window is simply skipped. */
export function pushEvent<E extends IpcEventName>(target: EventSink | null | undefined, event: E, payload: IpcEvents[E]): void {
  if (!target || target.isDestroyed()) return
  target.send(eventChannelOf(event), payload)
}

function senderUrlOf(event: IpcMainInvokeEvent): string {
  try {
    return event.senderFrame?.url ?? ''
  } catch {
    return ''
  }
}

function safeCheck(check: SenderCheck, event: IpcMainInvokeEvent): boolean {
  try {
    return check(event)
  } catch {
    // senderFrame throws for a frame that is already gone; such a sender is not ours any more.
    return false
  }
}
