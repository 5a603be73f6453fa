/**
 * `token` and `header` when the fast path could not answer (the stored token is due, missing or
 * not in the keychain): renewed through the app's own service, as the full `token` command does,
 * but with only what renewal needs loaded (no handler table, no schemas, no zod), so that a due
 * token costs little more than the fast path. Anything else (an unknown name, a datasource
 * without OAuth, a database that cannot be opened) goes to the full command, which reports it in
 * the app's words.
 */
import { KeychainError } from '../core/secrets/secret-store'
import { keychainAppError, missingSecretError } from '../core/secrets/keychain-errors'
import type { CachedTokenRequest, CachedTokenResult } from './fast-token'
import { ACCESS_TOKEN_CHARS } from '../../shared/untrusted-text'
import { isFresh } from './freshness'
import type { CoreWithoutHandlers } from '../core/core'
import { systemClock } from '../core/deps'
import { openRenewalCore } from './context'

const FULL_PATH: CachedTokenResult = { kind: 'full-path' }

/**
 * Node loads its fetch implementation (undici) on first use: about 60 ms of compiling here (a CPU
 * profile of `token` with a due token, bench/RESULTS.md). The renewal needs it right after its
 * first keychain read, whose first call waits about 30 ms for libsecret's D-Bus session doing
 * nothing: touching `Response` (a lazy global that loads the same module) during that wait
 * overlaps the two.
 */
const loadFetch = (): unknown => globalThis.Response

/**
 * Each renewal releases the old versions of the tokens (two keychain entries) and a command does
 * not wait to delete them. Without the app running, a script renewing through `token` would pile
 * them up in the keychain for good, and every gnome-keyring write slows with its number of items.
 * So the due path deletes what earlier calls left, at most this many per call (two or more than a
 * call leaves, so what is left shrinks), beside its own renewal: the keychain is free while the
 * main thread loads fetch and waits for the token endpoint.
 */
export const LEFTOVERS_PER_CALL = 8

export async function readRenewedToken(request: CachedTokenRequest): Promise<CachedTokenResult> {
  let core: CoreWithoutHandlers
  try {
    core = await openRenewalCore({ dataDir: request.dataDir, keychainService: request.keychainService, whileFirstKeychainCallWaits: loadFetch })
  } catch {
    return FULL_PATH
  }
  let leftovers: Promise<number> | undefined
  try {
    const { repo, service } = core
    const id = repo.idByName(request.name)
    if (id === undefined || repo.get(id)?.auth.type !== 'oauth2-password') return FULL_PATH
    // A stored token that is not printable ASCII (written before tokens were checked) would inject
    // a header into `curl -H "$(datasource-desk header crm)"`: it is renewed instead of printed.
    const readAccessToken = async () => {
      const token = (await service.readSecret(id, 'access-token'))?.reveal()
      return token && ACCESS_TOKEN_CHARS.test(token) ? token : null
    }
    // What is not deleted now stays recorded for the next call, command or the app.
    leftovers = service.cleanUpAbandonedSecrets(LEFTOVERS_PER_CALL).catch(() => 0)
    const stored = repo.token(id)
    // The app (or another command) may have renewed it since the fast path looked.
    let accessToken = stored && isFresh(stored, systemClock.now()) ? await readAccessToken() : null
    if (!accessToken) {
      const renewed = await service.renewForToken(id)
      if (!renewed.ok) return { kind: 'error', error: renewed.error }
      // The token this command just stored needs no read-back; one another process stored does.
      const stored = renewed.value?.reveal()
      accessToken = stored && ACCESS_TOKEN_CHARS.test(stored) ? stored : await readAccessToken()
      if (!accessToken) return { kind: 'error', error: missingSecretError('access-token') }
    }
    return { kind: 'token', accessToken }
  } catch (error) {
    if (error instanceof KeychainError) return { kind: 'error', error: keychainAppError(error) }
    return FULL_PATH
  } finally {
    await leftovers
    await core.close()
  }
}
