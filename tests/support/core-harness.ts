import { randomUUID } from 'node:crypto'
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { createCore, DATABASE_FILE, type Core } from '../../electron/core/core'
import { systemClock, type Clock, type CoreEvent } from '../../electron/core/deps'
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import type { SecretStore } from '../../electron/core/secrets/secret-store'
import type { DatasourceInput, OAuth2PasswordInput } from '../../shared/datasource'
import type { Result } from '../../shared/errors'
import { CONFIDENTIAL_CLIENT, TEST_USER, type OAuthTestServer } from './oauth-server'
import { passwordFormFor } from './password-form'
import { makeTempDir } from './temp-dir'

/**
 * A real core for integration tests: a temp data directory, the real OS keychain under a service
 * name of its own, Node's fetch, and a record of every event the core sent towards the window.
 */
export interface CoreHarness {
  core: Core
  readonly dataDir: string
  readonly secretStore: SecretStore
  readonly keychainService: string
  readonly events: CoreEvent[]
  /** Closes the core and opens a new one over the same data directory and keychain service. */
  restart(): Promise<void>
  /** The SQLite database and its -wal/-shm files, as bytes. */
  databaseBytes(): Buffer
  dispose(): Promise<void>
}

export async function startCoreHarness(options: { clock?: Clock; random?: () => number } = {}): Promise<CoreHarness> {
  const temp = makeTempDir('dsd-core-')
  const keychainService = `datasource-desk-test-${randomUUID()}`
  const secretStore = createKeytarSecretStore(keychainService)
  const events: CoreEvent[] = []
  const open = () =>
    createCore({
      dataDir: temp.dir,
      secretStore,
      fetch: globalThis.fetch,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      notify: (event) => events.push(event),
    })
  const harness: CoreHarness = {
    core: await open(),
    dataDir: temp.dir,
    secretStore,
    keychainService,
    events,
    async restart() {
      await harness.core.close()
      harness.core = await open()
    },
    databaseBytes() {
      const file = join(temp.dir, DATABASE_FILE)
      return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter(existsSync).map((path) => readFileSync(path)))
    },
    async dispose() {
      await harness.core.close()
      for (const account of await secretStore.accounts().catch(() => [])) await secretStore.delete(account).catch(() => false)
      temp.cleanup()
    },
  }
  return harness
}

/** A form for the test OAuth server's confidential client and user (special characters included). */
export function passwordForm(server: OAuthTestServer, overrides: Partial<OAuth2PasswordInput> = {}, name = 'CRM'): DatasourceInput {
  const credentials = { clientId: CONFIDENTIAL_CLIENT.id, clientSecret: CONFIDENTIAL_CLIENT.secret, ...TEST_USER }
  return passwordFormFor(server, credentials, overrides, name)
}

/** Unwraps a Result in a test, failing with the error's words when it is not ok. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.kind}/${result.error.code}: ${result.error.message}`)
  return result.value
}
