import { join } from 'node:path'
import type { HandlerTable } from '../../shared/ipc'
import type { TokenStatus } from '../../shared/token'
import { followDatabase } from './database-follower'
import { openDatabase } from './db/connection'
import { DatasourceRepository } from './db/datasource-repository'
import { DatasourceService } from './datasources'
import { silentLogger, type CoreDeps } from './deps'
import { createHandlers } from './handlers'
import { TokenActions } from './token-actions'

export const DATABASE_FILE = 'datasource-desk.sqlite'

export interface CoreSnapshotEntry {
  readonly id: string
  readonly name: string
  readonly status: TokenStatus
}

export interface Core {
  /** The IPC handler table: main registers it on ipcMain, the e2e harness binds it into the page. */
  readonly handlers: HandlerTable
  readonly service: DatasourceService
  /** Every datasource with its status, for the tray. */
  snapshot(): ReadonlyArray<CoreSnapshotEntry>
  renewNow(id: string): Promise<unknown>
  /** Re-evaluates every renewal deadline (after sleep/resume or a clock jump). */
  recheck(): void
  close(): Promise<void>
}

/**
 * Builds the whole engine from what the host gives it. Throws DatabaseCorruptError or
 * MigrationError when the database cannot be used; the host tells the user (never deletes it).
 */
export async function createCore(deps: CoreDeps): Promise<Core> {
  const logger = deps.logger ?? silentLogger
  const db = openDatabase(join(deps.dataDir, DATABASE_FILE))
  const repo = new DatasourceRepository(db)
  const service = new DatasourceService({
    repo,
    secrets: deps.secretStore,
    fetch: deps.fetch,
    clock: deps.clock,
    random: deps.random ?? Math.random,
    logger,
    notify: deps.notify,
    dataDir: deps.dataDir,
  })
  service.start()
  // The CLI and other processes write the same file; the window and the scheduler follow them.
  const follower = followDatabase({
    clock: deps.clock,
    readVersion: () => Number(db.pragma('data_version', { simple: true })),
    sync: () => service.syncFromDatabase(),
    logger,
  })
  let closed = false
  // The sweep needs the keychain; an unavailable one must not stop the app from starting.
  const sweep = () => {
    if (closed) return
    service.sweepOrphanSecrets().then(
      (removed) => removed > 0 && logger.info('removed keychain entries that no datasource owns', { removed }),
      () => logger.warn('keychain unavailable at start; orphan sweep skipped'),
    )
  }
  const sweepTimer = deps.sweepDelayMs ? deps.clock.setTimeout(sweep, deps.sweepDelayMs) : null
  if (sweepTimer === null) sweep()
  const tokenActions = new TokenActions({ repo, readAccessToken: (id) => service.readSecret(id, 'access-token'), clipboard: deps.clipboard ?? null, clock: deps.clock, logger })
  const handlers = createHandlers(service, tokenActions, logger)

  return {
    handlers,
    service,
    snapshot: () => service.list().map(({ id, name, status }) => ({ id, name, status })),
    renewNow: (id) => service.renewNow(id),
    recheck: () => service.scheduler.recheck(),
    close: async () => {
      if (closed) return
      closed = true
      if (sweepTimer !== null) deps.clock.clearTimeout(sweepTimer)
      follower.stop()
      service.dispose()
      tokenActions.dispose()
      db.close()
    },
  }
}
