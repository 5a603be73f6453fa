/**
 * The fetches the core runs on: Node's (tests), the command line's (the request adapter over
 * Node's http client) and the app's (the same adapter over Electron's net.request, here over the
 * net double). Suites that must hold for all of them take them with
 * `describe.each(FETCH_IMPLEMENTATIONS)`.
 */
import type { FetchLike } from '../../electron/core/deps'
import { createNodeHttpFetch } from '../../electron/core/node-http-request'
import { createRequestFetch } from '../../electron/core/request-fetch'
import { createElectronNetDouble, type ElectronNetDouble } from './electron-net-fetch-double'

export interface FetchImplementation {
  readonly name: string
  readonly fetch: FetchLike
  /** The Electron double when the adapter runs over it (for its cookie jar, cache, crash log). */
  readonly net: ElectronNetDouble | null
  /** True when the fetch itself fails on names other than IP literals (the double never uses DNS). */
  readonly failsUnknownNames: boolean
  close(): void
}

export function nodeFetch(): FetchImplementation {
  return { name: "Node's fetch", fetch: (input, init) => fetch(input, init), net: null, failsUnknownNames: false, close: () => {} }
}

export function commandLineFetch(): FetchImplementation {
  return { name: "the command line's Node http adapter", fetch: createNodeHttpFetch(), net: null, failsUnknownNames: false, close: () => {} }
}

export function adapterOverNetDouble(): FetchImplementation {
  const net = createElectronNetDouble()
  return {
    name: "the app's net.request adapter (Electron double)",
    fetch: createRequestFetch((options) => net.request(options)),
    net,
    failsUnknownNames: true,
    close: () => net.close(),
  }
}

/** For `describe.each(FETCH_IMPLEMENTATIONS)('over $name', ({ create }) => ...)`. */
export const FETCH_IMPLEMENTATIONS: ReadonlyArray<{ readonly name: string; readonly create: () => FetchImplementation }> = [
  { name: nodeFetch().name, create: nodeFetch },
  { name: commandLineFetch().name, create: commandLineFetch },
  { name: "the app's net.request adapter (Electron double)", create: adapterOverNetDouble },
]
