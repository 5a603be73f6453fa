import { defineStore } from 'pinia'
import { computed, ref, shallowReactive } from 'vue'
import type { DatasourceView } from '../../../shared/datasource'
import type { AppError, Result } from '../../../shared/errors'
import type { AppState } from '../../../shared/app-state'
import type { DeleteReport } from '../../../shared/delete-report'
import type { CopyFormat, CopyReceipt, TokenDetails } from '../../../shared/token-actions'
import type { IntrospectionReport } from '../../../shared/introspection'
import type { TokenStatus } from '../../../shared/token'
import { getApi, ipcFailure } from '../api'
import { useStatusStore } from './status-store'

export type LoadState = 'loading' | 'ready' | 'error'

/** Runs an api call and folds a rejected promise into the Result shape. */
export async function call<T>(request: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await request()
  } catch (cause) {
    return { ok: false, error: ipcFailure(cause) }
  }
}

/** The saved datasources (without secrets), the app's keychain state, and per-row actions. */
export const useDatasourcesStore = defineStore('datasources', () => {
  const statuses = useStatusStore()

  const items = ref<ReadonlyArray<DatasourceView>>([])
  const loadState = ref<LoadState>('loading')
  const loadError = ref<AppError | null>(null)
  const appState = ref<AppState | null>(null)
  const renewing = shallowReactive(new Set<string>())
  let unsubscribe: (() => void) | null = null

  const sorted = computed(() => [...items.value].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })))
  /** Unknown counts as available: the banner is for a confirmed problem, not for a slow start. */
  const keychainAvailable = computed(() => appState.value?.keychainAvailable !== false)

  function byId(id: string): DatasourceView | undefined {
    return items.value.find((item) => item.id === id)
  }

  async function load(): Promise<void> {
    const result = await call(() => getApi().listDatasources({}))
    if (result.ok) {
      items.value = result.value
      statuses.setMany(result.value.map((item) => item.status))
      loadError.value = null
      loadState.value = 'ready'
    } else {
      loadError.value = result.error
      // Keep showing a list we already have; only the first load turns into an error screen.
      if (loadState.value !== 'ready') loadState.value = 'error'
    }
  }

  async function loadAppState(): Promise<void> {
    const result = await call(() => getApi().getAppState({}))
    if (result.ok) appState.value = result.value
  }

  /** First load plus live updates; the main process announces changes made elsewhere (tray, renewal). */
  async function init(): Promise<void> {
    statuses.listen()
    unsubscribe ??= getApi().on('datasourcesChanged', () => void load())
    await Promise.all([load(), loadAppState()])
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
    statuses.stop()
  }

  function upsert(view: DatasourceView): void {
    const index = items.value.findIndex((item) => item.id === view.id)
    items.value = index === -1 ? [...items.value, view] : items.value.map((item) => (item.id === view.id ? view : item))
    statuses.set(view.status)
  }

  function forget(id: string): void {
    items.value = items.value.filter((item) => item.id !== id)
    statuses.remove(id)
  }

  async function remove(id: string): Promise<Result<DeleteReport>> {
    const result = await call(() => getApi().deleteDatasource({ id }))
    // "Not found" means it is already gone: the list should say so too.
    if (result.ok || result.error.kind === 'not-found') forget(id)
    return result
  }

  async function renewNow(id: string): Promise<Result<TokenStatus>> {
    renewing.add(id)
    try {
      const result = await call(() => getApi().renewNow({ id }))
      if (result.ok) statuses.set(result.value)
      return result
    } finally {
      renewing.delete(id)
    }
  }

  async function signIn(id: string, password: string, remember: boolean): Promise<Result<TokenStatus>> {
    const result = await call(() => getApi().signIn({ id, password, remember }))
    if (result.ok) statuses.set(result.value)
    return result
  }

  /** The main process copies the token; the renderer only learns that it did and until when. */
  async function copyToken(id: string, format: CopyFormat): Promise<Result<CopyReceipt>> {
    return call(() => getApi().copyToken({ id, format }))
  }

  async function clearToken(id: string): Promise<Result<TokenStatus>> {
    const result = await call(() => getApi().clearToken({ id }))
    if (result.ok) statuses.set(result.value)
    return result
  }

  async function tokenDetails(id: string): Promise<Result<TokenDetails>> {
    return call(() => getApi().getTokenDetails({ id }))
  }

  /** The main process asks the server about the token (RFC 7662); the renderer gets only its non-secret answer. */
  async function introspectToken(id: string): Promise<Result<IntrospectionReport>> {
    return call(() => getApi().introspectToken({ id }))
  }

  return {
    items,
    loadState,
    loadError,
    appState,
    renewing,
    sorted,
    keychainAvailable,
    byId,
    load,
    loadAppState,
    init,
    stop,
    upsert,
    forget,
    remove,
    renewNow,
    signIn,
    copyToken,
    clearToken,
    tokenDetails,
    introspectToken,
  }
})
