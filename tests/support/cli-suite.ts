/**
 * The set-up the CLI's integration files share: the built command, a keychain service and a data
 * folder of their own, and one authorization server on 127.0.0.1, started before the file's tests
 * and stopped (with the keychain entries and the folder removed) after them. Call it at the top of
 * a test file: it registers the file's beforeAll and afterAll.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import type { SecretStore } from '../../electron/core/secrets/secret-store'
import { ensureCliBuilt, runCli, type CliResult } from './cli-runner'
import { requireKeyringSession } from './keyring-session'
import { makeTempDir } from './temp-dir'

export interface CliSuite<Server> {
  readonly keychainService: string
  /** The same keychain service as the command's, read and written from the test. */
  readonly secrets: SecretStore
  readonly dataDir: string
  /** The server the suite started (there from beforeAll on). */
  readonly server: Server
  /** Runs the built command on the suite's data folder and keychain service. */
  cli(args: ReadonlyArray<string>, input?: string, env?: NodeJS.ProcessEnv): Promise<CliResult>
}

export function useCliSuite<Server extends { close(): Promise<void> }>(name: string, startServer: () => Promise<Server>): CliSuite<Server> {
  const keychainService = `datasource-desk-test-${name}-${randomUUID()}`
  const secrets = createKeytarSecretStore(keychainService)
  const dataDir = makeTempDir(`dsd-${name}-`)
  let server: Server | undefined

  beforeAll(async () => {
    requireKeyringSession()
    await ensureCliBuilt()
    server = await startServer()
  }, 120_000)

  afterAll(async () => {
    await server?.close()
    for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
    dataDir.cleanup()
  })

  return {
    keychainService,
    secrets,
    dataDir: dataDir.dir,
    get server(): Server {
      if (!server) throw new Error('The suite server starts in beforeAll; use it inside a test')
      return server
    },
    cli: (args, input, env = {}) =>
      runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, ...env } }),
  }
}
