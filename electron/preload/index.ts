/**
 * The preload (built as CommonJS: sandboxed renderers cannot load ES-module preloads). It exposes
 * `window.api` with one named method per contract entry and `on` for contract events only: never
 * a generic invoke, never ipcRenderer itself, never the IpcRendererEvent (its `sender` would hand
 * the page a way to send anything).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { channelOf, eventChannelOf, ipcEventNames, ipcMethods, type DatasourceApi, type IpcEventName } from '../../shared/ipc'

/** The part of ipcRenderer the api needs, so that it can be built and tested without Electron. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown
}

/** Builds window.api from the contract. */
export function createApi(ipc: IpcRendererLike): DatasourceApi {
  const methods = Object.fromEntries(
    ipcMethods.map((method) => {
      const channel = channelOf(method)
      return [method, (payload: unknown) => ipc.invoke(channel, payload)]
    }),
  )
  const on = (event: IpcEventName, listener: (payload: unknown) => void): (() => void) => {
    if (!ipcEventNames.includes(event)) throw new TypeError(`Unknown event: ${String(event)}`)
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function')
    const channel = eventChannelOf(event)
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipc.on(channel, forward)
    return () => {
      ipc.removeListener(channel, forward)
    }
  }
  return Object.freeze({ ...methods, on }) as unknown as DatasourceApi
}

contextBridge.exposeInMainWorld('api', createApi(ipcRenderer))
