/**
 * Lists the keychain accounts of one service with the app's keytar store, as the start-up orphan
 * sweep does (after storing one entry when DSD_ADD_ENTRY names it), and prints one JSON line: the number of accounts, or the KeychainError code. Built by
 * child-build.ts; a test runs it in its own keyring session (a locked collection, for one).
 */
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../electron/core/secrets/secret'
import { KeychainError } from '../../electron/core/secrets/secret-store'

const store = createKeytarSecretStore(process.env.DATASOURCE_DESK_KEYCHAIN_SERVICE ?? 'datasource-desk-test-list')
try {
  // DSD_ADD_ENTRY: store one entry first (a locked collection crashed libsecret only with items in it).
  if (process.env.DSD_ADD_ENTRY) await store.set(process.env.DSD_ADD_ENTRY, new Secret('list-child'))
  const accounts = await store.accounts()
  process.stdout.write(`${JSON.stringify({ accounts: accounts.length })}\n`)
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error instanceof KeychainError ? error.code : 'other' })}\n`)
}
