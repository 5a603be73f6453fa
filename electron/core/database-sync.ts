/**
 * The scheduler's picture of the database: what it loads at start-up, what a command's core loads
 * for one datasource, and how the app comes back in step with commits of other processes (the CLI,
 * a second core) that database-follower.ts noticed. Split out of DatasourceService, which keeps
 * the queries, save and delete.
 */
import { notConnected, type TokenMeta, type TokenStatus } from '../../shared/token'
import type { DatasourceRepository, RenewalStateRecord } from './db/datasource-repository'
import { systemClock, type Clock, type CoreEvent } from './deps'
import { believedRenewalState, type StoredLease } from './leftover-renewing'
import type { RenewalScheduler } from './renewal'

export interface DatabaseSyncDeps {
  readonly repo: DatasourceRepository
  readonly scheduler: RenewalScheduler
  readonly clock: Clock
  readonly emit: (event: CoreEvent) => void
}

export class DatabaseSync {
  readonly #deps: DatabaseSyncDeps
  /** Each datasource's `updatedAt` as last seen, so a sync reports edits made elsewhere. */
  readonly #seenUpdatedAt = new Map<string, number>()

  constructor(deps: DatabaseSyncDeps) {
    this.#deps = deps
  }

  /** Loads every saved token's state into the scheduler (the app's start-up). */
  loadAll(): void {
    const { repo, scheduler, clock } = this.#deps
    const tokens = repo.allTokens()
    const states = repo.allRenewalStates()
    const now = clock.now()
    scheduler.load(repo.ids().map((id) => storedStatus(id, tokens.get(id) ?? null, states.get(id), () => repo.lease(id), now)))
    for (const record of repo.list()) this.#seenUpdatedAt.set(record.id, record.updatedAt)
  }

  /** Loads one stored datasource, with its token and renewal state (a command's core, on first use). */
  loadOne(id: string): void {
    const { repo, scheduler, clock } = this.#deps
    if (!repo.get(id)) return
    scheduler.load([storedStatus(id, repo.token(id), repo.renewalState(id) ?? undefined, () => repo.lease(id), clock.now())])
  }

  /**
   * Brings the scheduler and the window in step with what other processes committed: new
   * datasources are scheduled, removed ones stop, a token stored elsewhere (a renewal, an edit
   * that dropped it) replaces ours. Returns false when a datasource had a renewal of ours in
   * flight: its outcome settles it, and the caller looks again on its next tick.
   */
  sync(): boolean {
    const { repo, scheduler, clock, emit } = this.#deps
    const records = repo.list()
    const tokens = repo.allTokens()
    const states = repo.allRenewalStates()
    const now = clock.now()
    const changed = new Set<string>()
    const added: TokenStatus[] = []
    let settled = true
    for (const record of records) {
      const { id } = record
      const stored = tokens.get(id) ?? null
      const scheduled = scheduler.status(id)
      if (this.#seenUpdatedAt.get(id) !== record.updatedAt) changed.add(id)
      this.#seenUpdatedAt.set(id, record.updatedAt)
      if (!scheduled) {
        added.push(storedStatus(id, stored, states.get(id), () => repo.lease(id), now))
        changed.add(id)
      } else if (!sameToken(scheduled.token, stored)) {
        if (scheduled.state === 'renewing') settled = false
        else scheduler.setToken(id, stored)
      }
    }
    if (added.length > 0) {
      scheduler.load(added)
      for (const { datasourceId } of added) {
        const status = scheduler.status(datasourceId)
        if (status) emit({ type: 'ipc', name: 'statusChanged', payload: status })
      }
    }
    const present = new Set<string>(records.map((record) => record.id))
    for (const { datasourceId } of scheduler.snapshot()) {
      if (present.has(datasourceId)) continue
      scheduler.remove(datasourceId)
      this.#seenUpdatedAt.delete(datasourceId)
      changed.add(datasourceId)
    }
    if (changed.size > 0) emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [...changed] } })
    return settled
  }
}

/**
 * A stored token's state as the scheduler loads it (start-up, datasources added elsewhere, a
 * command's core). A leftover 'renewing' reads as idle; one that another process is renewing right
 * now stays 'renewing', which the scheduler turns into a renewal due at once: it waits for that
 * process's lease and takes its token.
 */
function storedStatus(id: string, token: TokenMeta | null, saved: RenewalStateRecord | undefined, lease: () => StoredLease | null, now: number): TokenStatus {
  // Leases are written on the system clock (the renewer's), whatever clock the scheduler runs on.
  const state = believedRenewalState(saved?.state, lease, systemClock.now())
  return {
    ...notConnected(id, now),
    token,
    state,
    attempt: saved?.attempt ?? 0,
    lastError: saved?.lastError ?? null,
    nextAttemptAt: state === 'retrying' ? (saved?.nextAttemptAt ?? now) : null,
  }
}

/**
 * Whether two token records describe the same token (what a renewal elsewhere would change). A
 * refusal of its refresh token recorded elsewhere is not a new token: taking it over would start
 * a new episode and overwrite the renewal state stored with it.
 */
function sameToken(a: TokenMeta | null, b: TokenMeta | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.obtainedAt === b.obtainedAt &&
    a.expiresAt === b.expiresAt &&
    a.hasRefreshToken === b.hasRefreshToken &&
    a.grantedScope === b.grantedScope &&
    a.requestedScope === b.requestedScope &&
    a.tokenType === b.tokenType
  )
}
