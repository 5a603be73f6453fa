/**
 * Prints the Secret Service's lock state as one JSON line ({"locked": true|false|null}, or
 * {"error": code}), read with secret-service-lock.ts. Built by child-build.ts; a test runs it in
 * a keyring session of its own, before and after locking the collection.
 */
import { defaultCollectionLocked } from '../../electron/core/secrets/secret-service-lock'
import { KeychainError } from '../../electron/core/secrets/secret-store'

try {
  process.stdout.write(`${JSON.stringify({ locked: await defaultCollectionLocked(process.env.DBUS_SESSION_BUS_ADDRESS, 5_000) })}\n`)
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error instanceof KeychainError ? error.code : 'other' })}\n`)
}
