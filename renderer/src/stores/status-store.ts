import { defineStore } from 'pinia'
import { shallowReactive } from 'vue'
import type { TokenStatus } from '../../../shared/token'
import { getApi } from '../api'

/**
 * Live token statuses, keyed by datasource id, fed by the list load and by the main process's
 * `statusChanged` events. Kept apart from the datasource list so that a status event re-renders
 * only the components that read that one id, not every row.
 */
export const useStatusStore = defineStore('status', () => {
  // Shallow: statuses are replaced whole, never mutated, so deep proxies would only cost time.
  const byId = shallowReactive(new Map<string, TokenStatus>())
  let unsubscribe: (() => void) | null = null

  /** Stores a status unless a newer one for the same datasource already arrived (events can cross a reload). */
  function set(status: TokenStatus): void {
    const current = byId.get(status.datasourceId)
    if (current && current.updatedAt > status.updatedAt) return
    byId.set(status.datasourceId, status)
  }

  function setMany(statuses: Iterable<TokenStatus>): void {
    for (const status of statuses) set(status)
  }

  function remove(id: string): void {
    byId.delete(id)
  }

  function get(id: string): TokenStatus | undefined {
    return byId.get(id)
  }

  /** Subscribes to the main process's status events once; safe to call repeatedly. */
  function listen(): void {
    unsubscribe ??= getApi().on('statusChanged', set)
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  return { byId, set, setMany, remove, get, listen, stop }
})
