/**
 * The two fetches the core runs on: Node's (CLI, tests) and the app's (electron/main's adapter
 * over Electron's net.request, here over the net double). Suites that must hold for both take
 * them with `describe.each(FETCH_IMPLEMENTATIONS)`.
 */
import type { FetchLike } from '../../electron/core/deps'
import { createNetFetch } from '../../electron/main/net-fetch-adapter'
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

export function adapterOverNetDouble(): FetchImplementation {
  const net = createElectronNetDouble()
  return {
    name: "the app's net.request adapter (Electron double)",
    fetch: createNetFetch((options) => net.request(options)),
    net,
    failsUnknownNames: true,
    close: () => net.close(),
  }
}

/** For `describe.each(FETCH_IMPLEMENTATIONS)('over $name', ({ create }) => ...)`. */
export const FETCH_IMPLEMENTATIONS: ReadonlyArray<{ readonly name: string; readonly create: () => FetchImplementation }> = [
  { name: nodeFetch().name, create: nodeFetch },
  { name: "the app's net.request adapter (Electron double)", create: adapterOverNetDouble },
]
