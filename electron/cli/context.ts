/**
 * The core as the command uses it: the app's database and keychain service, the same service and
 * handler table as the app, but none of the app's start-up work. createCore() would load every
 * datasource into the renewal scheduler (arming its timer) and sweep the keychain; a command works
 * on one datasource and must exit as soon as it is done.
 */
import { join } from 'node:path'
import { notConnected } from '../../shared/token'
import type { HandlerTable } from '../../shared/ipc'
import { DATABASE_FILE } from '../core/core'
import { openDatabase } from '../core/db/connection'
import { DatasourceRepository, type DatasourceRecord } from '../core/db/datasource-repository'
import { DatasourceService } from '../core/datasources'
import { silentLogger, systemClock, type Clock, type FetchLike } from '../core/deps'
import { createHandlers } from '../core/handlers'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'
import type { SecretStore } from '../core/secrets/secret-store'

export interface CliContextOptions {
  readonly dataDir: string
  readonly keychainService: string
  readonly fetch?: FetchLike
  readonly clock?: Clock
}

export interface CliContext {
  readonly dataDir: string
  readonly repo: DatasourceRepository
  readonly secrets: SecretStore
  readonly service: DatasourceService
  readonly handlers: HandlerTable
  readonly clock: Clock
  findByName(name: string): DatasourceRecord | undefined
  /**
   * Gives the scheduler this one datasource, with its stored token and renewal state, so that a
   * renewal runs exactly as in the app (single-flight, cross-process lease, status and history).
   */
  loadForRenewal(id: string): void
  close(): void
}

export function openCliContext(options: CliContextOptions): CliContext {
  const clock = options.clock ?? systemClock
  const db = openDatabase(join(options.dataDir, DATABASE_FILE))
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
  const handlers = createHandlers(service, silentLogger)
  let closed = false
  return {
    dataDir: options.dataDir,
    repo,
    secrets,
    service,
    handlers,
    clock,
    findByName(name) {
      const id = repo.idByName(name)
      return id === undefined ? undefined : repo.get(id)
    },
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
