import { join } from 'node:path'
import type { HandlerTable } from '../../shared/ipc'
import { asDatasourceId } from '../../shared/ids'
import type { TokenStatus } from '../../shared/token'
import { followDatabase } from './database-follower'
import { openDatabase } from './db/connection'
import { DatasourceRepository } from './db/datasource-repository'
import { DatasourceService } from './datasources'
import { silentLogger, type CoreDeps } from './deps'
import { scheduleOrphanSweep } from './orphan-sweep'
import { TokenActions } from './token-actions'

export const DATABASE_FILE = 'datasource-desk.sqlite'

export interface CoreSnapshotEntry {
  readonly id: string
  readonly name: string
  /** False for a datasource without authentication (no token to keep). */
  readonly authenticated: boolean
  readonly status: TokenStatus
}

export interface Core {
  /** The IPC handler table: main registers it on ipcMain, the e2e harness binds it into the page. */
  readonly handlers: HandlerTable
  readonly service: DatasourceService
  /** Stored datasources, for reading (the CLI's list and status); every write goes through the service. */
  readonly repo: DatasourceRepository
  /** Every datasource with its status, for the tray. */
  snapshot(): ReadonlyArray<CoreSnapshotEntry>
  renewNow(id: string): Promise<unknown>
  /** Re-evaluates every renewal deadline (after sleep/resume or a clock jump). */
  recheck(): void
  close(): Promise<void>
}

export interface CoreOptions {
  /**
   * 'app' (the default) does the app's start-up work: the whole-file integrity check, every
   * datasource loaded into the renewal scheduler (arming its timer), following other processes'
   * commits, and the orphan sweep. 'command' does none of it, for a CLI command that works on the
   * datasources it names and exits when done: a datasource joins the scheduler when it is first
   * renewed or tested, and the database check is left to the app, so a command's start does not
   * grow with the database.
   */
  readonly startup?: 'app' | 'command'
  /** false: no handler table, so the schemas and zod are never loaded (the CLI's due `token`). */
  readonly handlers?: boolean
}

/** A core built with `handlers: false`. */
export type CoreWithoutHandlers = Omit<Core, 'handlers'>

/**
 * Builds the whole engine from what the host gives it. Throws DatabaseCorruptError or
 * MigrationError when the database cannot be used; the host tells the user (never deletes it).
 */
export function createCore(deps: CoreDeps, options: CoreOptions & { readonly handlers: false }): Promise<CoreWithoutHandlers>
export function createCore(deps: CoreDeps, options?: CoreOptions): Promise<Core>
export async function createCore(deps: CoreDeps, options: CoreOptions = {}): Promise<Core | CoreWithoutHandlers> {
  const logger = deps.logger ?? silentLogger
  const app = (options.startup ?? 'app') === 'app'
  const db = openDatabase(join(deps.dataDir, DATABASE_FILE), undefined, { integrityCheck: app })
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
    // A command exits at once: the old versions its writes release stay marked, for the app's
    // next drain (after any write) or sweep, or the next add/edit/remove/import/renew or due `token`.
    drainReleased: app,
  })
  if (app) service.start()
  // The CLI and other processes write the same file; the window and the scheduler follow them.
  const follower = app
    ? followDatabase({
        clock: deps.clock,
        readVersion: () => Number(db.pragma('data_version', { simple: true })),
        sync: () => service.syncFromDatabase(),
        logger,
      })
    : null
  let closed = false
  const sweep = app
    ? scheduleOrphanSweep({
        drain: () => service.drainReleasedSecrets(),
        sweep: () => service.sweepOrphanSecrets(),
        lastSweepAt: () => service.lastOrphanSweepAt(),
        hasAbandonedWrites: () => service.hasAbandonedSecretWrites(),
        clock: deps.clock,
        delayMs: deps.sweepDelayMs,
        logger,
      })
    : null
  const tokenActions = new TokenActions({
    repo,
    readAccessToken: (id) => service.readSecret(id, 'access-token'),
    readClientSecret: (id) => service.readSecret(id, 'client-secret'),
    fetch: deps.fetch,
    clipboard: deps.clipboard ?? null,
    clock: deps.clock,
    logger,
  })

  const core: CoreWithoutHandlers = {
    service,
    repo,
    snapshot: () => service.list().map(({ id, name, auth, status }) => ({ id, name, authenticated: auth.type !== 'none', status })),
    // The tray's ids are the snapshot's, which are the datasources' own.
    renewNow: (id) => service.renewNow(asDatasourceId(id)),
    recheck: () => service.recheck(),
    close: async () => {
      if (closed) return
      closed = true
      sweep?.stop()
      follower?.stop()
      service.dispose()
      tokenActions.dispose()
      db.close()
    },
  }
  if (options.handlers === false) return core
  // Loaded here, not imported at the top: the handlers bring the schemas (zod), which the CLI's due
  // `token` must not load.
  const [{ createHandlers }, { DatasourceTransfer }] = await Promise.all([import('./handlers'), import('./datasource-transfer')])
  const transfer = new DatasourceTransfer({
    records: (ids) => service.records(ids),
    findByName: (name) => service.findByName(name),
    importAll: (inputs) => service.importAll(inputs),
    dialogs: deps.fileDialogs ?? null,
    clock: deps.clock,
    logger,
  })
  return { ...core, handlers: createHandlers(service, tokenActions, transfer, logger) }
}
