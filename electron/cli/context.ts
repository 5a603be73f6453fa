/**
 * The core as a command uses it: built by the app's createCore on the app's database and keychain
 * service, with none of the app's start-up work (no datasource loaded into the scheduler, no
 * following other processes, no orphan sweep, no whole-file database check): a command works on
 * the datasources it names and exits as soon as it is done.
 */
import type { DatasourceRecord } from '../core/db/datasource-repository'
import { createCore, type Core, type CoreWithoutHandlers } from '../core/core'
import { silentLogger, systemClock, type Clock, type CoreDeps, type FetchLike } from '../core/deps'
import { createNodeHttpFetch } from '../core/node-http-request'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'

export interface CliContextOptions {
  readonly dataDir: string
  readonly keychainService: string
  readonly fetch?: FetchLike
  readonly clock?: Clock
  /** See KeytarSecretStoreOptions.whileFirstCallWaits. */
  readonly whileFirstKeychainCallWaits?: () => void
}

export interface CliContext extends Pick<Core, 'handlers' | 'service' | 'repo'> {
  readonly clock: Clock
  findByName(name: string): DatasourceRecord | undefined
  close(): Promise<void>
}

function commandDeps(options: CliContextOptions): CoreDeps {
  return {
    dataDir: options.dataDir,
    secretStore: createKeytarSecretStore(options.keychainService, { whileFirstCallWaits: options.whileFirstKeychainCallWaits }),
    fetch: options.fetch ?? createNodeHttpFetch(),
    clock: options.clock ?? systemClock,
    logger: silentLogger,
    // No window and no tray to tell: the command reports outcomes itself.
    notify: () => {},
  }
}

/** Every command but the token fast path: the full core with its handler table. */
export async function openCliContext(options: CliContextOptions): Promise<CliContext> {
  const deps = commandDeps(options)
  const core = await createCore(deps, { startup: 'command' })
  return {
    handlers: core.handlers,
    service: core.service,
    repo: core.repo,
    clock: deps.clock,
    findByName(name) {
      const id = core.repo.idByName(name)
      return id === undefined ? undefined : core.repo.get(id)
    },
    close: () => core.close(),
  }
}

/** `token` with a due token: what renewal needs and nothing more (no handler table, so no schemas, no zod). */
export function openRenewalCore(options: CliContextOptions): Promise<CoreWithoutHandlers> {
  return createCore(commandDeps(options), { startup: 'command', handlers: false })
}
