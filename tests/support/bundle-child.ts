/**
 * A process that writes a token bundle and is killed before it commits (compiled by
 * child-build.ts for tests/integration/reliability/bundle-kill.test.ts). From DSD_CHILD_CONFIG it
 * takes a data folder, a keychain service and the ids of saved datasources; it gets a new token for
 * each from their server (password grant), stores them together through the renewer (one bundle),
 * and once the bundle is in the keychain prints "bundle-staged" and waits forever, before any
 * pointer is committed. Nothing it prints is a secret.
 */
import { join } from 'node:path'
import { DATABASE_FILE } from '../../electron/core/core'
import { openDatabase } from '../../electron/core/db/connection'
import { DatasourceRepository } from '../../electron/core/db/datasource-repository'
import { silentLogger, systemClock } from '../../electron/core/deps'
import { HistoryLog } from '../../electron/core/history-log'
import { requestPasswordToken } from '../../electron/core/oauth/token-client'
import { newHolderId } from '../../electron/core/process-holder'
import { oauthConfig, Renewer } from '../../electron/core/renewer'
import { SecretVault } from '../../electron/core/secret-vault'
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import type { Secret } from '../../electron/core/secrets/secret'
import { isTokenBundleAccount, type SecretStore } from '../../electron/core/secrets/secret-store'

export interface BundleChildConfig {
  readonly dataDir: string
  readonly keychainService: string
  readonly ids: ReadonlyArray<string>
}

const config = JSON.parse(process.env.DSD_CHILD_CONFIG ?? '{}') as BundleChildConfig
const keyring = createKeytarSecretStore(config.keychainService)
const say = (line: string): void => void process.stdout.write(`${line}\n`)

/** The real keyring; after a bundle's write it never returns (the parent kills the process). */
const store: SecretStore = {
  get: (account) => keyring.get(account),
  delete: (account) => keyring.delete(account),
  accounts: () => keyring.accounts(),
  async set(account: string, value: Secret) {
    await keyring.set(account, value)
    if (!isTokenBundleAccount(account)) return
    say(`bundle-staged ${account}`)
    await new Promise<never>(() => setInterval(() => {}, 60_000))
  },
}

async function main(): Promise<void> {
  const db = openDatabase(join(config.dataDir, DATABASE_FILE))
  const repo = new DatasourceRepository(db)
  const holder = newHolderId()
  const vault = new SecretVault({ repo, secrets: store, clock: systemClock, logger: silentLogger, holder })
  const renewer = new Renewer({ repo, vault, fetch: globalThis.fetch, clock: systemClock, logger: silentLogger, history: new HistoryLog(repo, systemClock, silentLogger), holder })
  const issued = []
  for (const id of config.ids) {
    const record = repo.get(id)
    if (record?.auth.type !== 'oauth2-password') throw new Error('not an OAuth datasource')
    const oauth = oauthConfig(record.auth, await vault.read(id, 'client-secret'))
    const password = await vault.read(id, 'password')
    if (!password) throw new Error('no stored password')
    const token = await requestPasswordToken(oauth, record.auth.username, password, { fetch: globalThis.fetch, now: () => Date.now() })
    if (!token.ok) throw new Error(token.error.message)
    issued.push({ id, revision: record.revision, token: token.value })
  }
  say(`holder ${holder}`)
  await Promise.all(issued.map(({ id, revision, token }) => renewer.storeToken(id, revision, token)))
  say('committed')
}

void main().catch((error: unknown) => {
  say(`error ${error instanceof Error ? error.name : typeof error}`)
  process.exit(1)
})
