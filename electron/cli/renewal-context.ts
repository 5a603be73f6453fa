/**
 * What a command needs to renew one datasource's token exactly as the app does (the app's
 * DatasourceService: single-flight, cross-process lease, status and history), without the handler
 * table and its schemas: `token` with a due token loads this and no zod (context.ts adds the
 * handlers for every other command). The database is opened without the whole-file integrity
 * check, so the command's start does not grow with the database; the app checks it at start-up.
 */
import { join } from 'node:path'
import { notConnected } from '../../shared/token'
import { DATABASE_FILE_NAME } from '../core/locations'
import { openDatabase } from '../core/db/connection'
import { DatasourceRepository } from '../core/db/datasource-repository'
import { DatasourceService } from '../core/datasources'
import { silentLogger, systemClock, type Clock, type FetchLike } from '../core/deps'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'
import type { SecretStore } from '../core/secrets/secret-store'

export interface RenewalContextOptions {
  readonly dataDir: string
  readonly keychainService: string
  readonly fetch?: FetchLike
  readonly clock?: Clock
}

export interface RenewalContext {
  readonly dataDir: string
  readonly repo: DatasourceRepository
  readonly secrets: SecretStore
  readonly service: DatasourceService
  readonly clock: Clock
  /**
   * Gives the scheduler this one datasource, with its stored token and renewal state, so that a
   * renewal runs exactly as in the app (single-flight, cross-process lease, status and history).
   */
  loadForRenewal(id: string): void
  close(): void
}

export function openRenewalContext(options: RenewalContextOptions): RenewalContext {
  const clock = options.clock ?? systemClock
  const db = openDatabase(join(options.dataDir, DATABASE_FILE_NAME), undefined, { integrityCheck: false })
  const repo = new DatasourceRepository(db)
  const secrets = createKeytarSecretStore(options.keychainService)
  const service = new DatasourceService({
    repo,
    secrets,
    fetch: options.fetch ?? globalThis.fetch,
    clock,
    random: Math.random,
    logger: silentLogger,
    // No window and no tray to tell: the command reports outcomes itself.
    notify: () => {},
    dataDir: options.dataDir,
  })
  let closed = false
  return {
    dataDir: options.dataDir,
    repo,
    secrets,
    service,
    clock,
    loadForRenewal(id) {
      const saved = repo.renewalState(id)
      service.scheduler.load([
        {
          ...notConnected(id, clock.now()),
          token: repo.token(id),
          state: saved?.state ?? 'idle',
          attempt: saved?.attempt ?? 0,
          lastError: saved?.lastError ?? null,
          nextAttemptAt: saved?.nextAttemptAt ?? null,
        },
      ])
    },
    close() {
      if (closed) return
      closed = true
      service.dispose()
      db.close()
    },
  }
}
