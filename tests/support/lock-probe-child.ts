/**
 * Probes the keychain's lock state in a loop with the app's keytar store, as the app and a CLI
 * command do at the same time on one keyring: a lookup that finds nothing (which runs the lock
 * probe), a lookup of a stored secret, and a listing (which probes first). Prints one JSON line
 * with what went wrong, after DSD_PROBE_ROUNDS rounds. DSD_STORE_FIRST=1 stores the secret first
 * (DSD_STORED_ACCOUNT, DSD_STORED_VALUE). DSD_PROBE_WRITE=1 makes the store probe by
 * writing and deleting its probe item, as it does where the lock state cannot be read (a test
 * kills it between the two with keychain-kill-hook.mjs). Built by child-build.ts.
 */
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../electron/core/secrets/secret'

const service = process.env.DATASOURCE_DESK_KEYCHAIN_SERVICE ?? 'datasource-desk-test-probe'
const rounds = Number(process.env.DSD_PROBE_ROUNDS ?? '50')
const store = createKeytarSecretStore(service, process.env.DSD_PROBE_WRITE === '1' ? { readLockState: async () => null } : {})
// Written and deleted by the test, before and after every prober ran: a listing that meets an item
// another process deletes fails (or crashes libsecret) whatever the probe does.
const stored = process.env.DSD_STORED_ACCOUNT ?? 'stored'
const storedValue = process.env.DSD_STORED_VALUE ?? ''
const failures: string[] = []
const note = (what: string, error?: unknown): void => {
  failures.push(error instanceof Error ? `${what}: ${error.name} ${error.message}` : what)
}

if (process.env.DSD_STORE_FIRST === '1') await store.set(stored, new Secret(storedValue))
for (let round = 0; round < rounds; round++) {
  await store.get(`missing-${process.pid}`).then(
    (value) => value === null || note('a missing account read as present'),
    (error: unknown) => note('lookup of a missing account', error),
  )
  await store.get(stored).then(
    (value) => value?.reveal() === storedValue || note('the stored secret read as missing'),
    (error: unknown) => note('lookup of the stored secret', error),
  )
  if (round % 5 === 0) {
    await store.accounts().then(
      (accounts) => accounts.includes(stored) || note('the listing left out the stored secret'),
      (error: unknown) => note('listing', error),
    )
  }
}
process.stdout.write(`${JSON.stringify({ failures })}\n`)
