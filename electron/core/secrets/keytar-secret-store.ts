/**
 * The OS keychain through keytar: Keychain on macOS, Credential Vault on Windows, the Secret
 * Service (gnome-keyring, KWallet) over D-Bus on Linux. This is the only file that touches keytar,
 * so the rest of the core can be tested with an in-memory SecretStore.
 */
import { createRequire } from 'node:module'
import { newHolderId } from '../process-holder'
import { noteAbandonedKeychainCall } from './abandoned-calls'
import { KeychainError, lockProbeAccount, type SecretStore } from './secret-store'
import { Secret } from './secret'
import { defaultCollectionLocked } from './secret-service-lock'
import { probeSessionBus } from './session-bus-probe'
import { platformSecretByteLimit, withSecretParts, type KeychainItems } from './secret-parts'

/** The part of keytar we use; declared here so tests can pass a stand-in to `loadKeytar`. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>
}

export interface KeytarSecretStoreOptions {
  /** Every keychain call is abandoned after this long (default 5000 ms). */
  readonly timeoutMs?: number
  /** How keytar is loaded; the default is a dynamic import of the native module. */
  readonly loadKeytar?: () => Promise<KeytarLike>
  /**
   * The most UTF-8 bytes one keychain item holds; longer secrets are stored in parts
   * (secret-parts.ts). Defaults to the platform's limit (Windows: 2560; elsewhere none, null).
   */
  readonly maxSecretBytes?: number | null
  /** Keychain calls in flight at once (default DEFAULT_MAX_CONCURRENT_CALLS); a listing always runs alone. */
  readonly maxConcurrentCalls?: number
  /**
   * Whether the keychain is locked, asked without writing: true, false, or null when it cannot
   * tell (then the store writes and deletes a probe item of its own). Default: the Secret
   * Service's `Locked` property on Linux with the real keytar (secret-service-lock.ts), else null.
   */
  readonly readLockState?: () => Promise<boolean | null>
  /**
   * Runs once, right after the store's first keychain call was handed to its thread-pool thread:
   * work the caller needs next (the due `token` command loads Node's fetch) runs while libsecret
   * opens its D-Bus session, instead of after it.
   */
  readonly whileFirstCallWaits?: () => void
}

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5_000

/**
 * Keychain calls in flight at once. keytar runs each on a libuv thread-pool thread (4 by default),
 * so a keyring that never answers holds at most this many, leaving one to file I/O and DNS. The
 * Secret Service answers concurrent calls: measured with gnome-keyring, 3 at once read about 2x
 * and write about 1.6x as fast as one at a time (bench/RESULTS.md).
 */
export const DEFAULT_MAX_CONCURRENT_CALLS = 3

const MAX_DETAIL_LENGTH = 200

/** Never written: a lookup of it only checks that the keychain answers. */
const PROBE_ACCOUNT = 'datasource-desk-availability-probe'

type Operation = 'read' | 'write' | 'delete' | 'list'

/** Keychain secrets for one service name, with every call bounded by a timeout. */
export function createKeytarSecretStore(service: string, options: KeytarSecretStoreOptions = {}): SecretStore {
  if (service.length === 0) throw new TypeError('A keychain service name is required')
  const timeoutMs = options.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS
  // The real module is loaded only after the session bus answered (session-bus-probe.ts).
  const loadKeytar = options.loadKeytar ?? (() => importKeytarWhenBusAnswers(Math.min(timeoutMs, BUS_PROBE_TIMEOUT_MS)))
  // Loaded on first use: a missing native module or keychain must surface as a KeychainError
  // on the call that needs it, not crash the app at start.
  let keytarPromise: Promise<KeytarLike> | null = null
  const gate = createCallGate(Math.max(1, Math.floor(options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS)))
  const readLockState =
    options.readLockState ??
    (options.loadKeytar === undefined && process.platform === 'linux'
      ? () => defaultCollectionLocked(process.env.DBUS_SESSION_BUS_ADDRESS, timeoutMs)
      : async () => null)
  // This store's own probe item (see lockProbeAccount): never the one another process writes.
  const lockProbe = lockProbeAccount(newHolderId())

  let whileFirstCallWaits = options.whileFirstCallWaits
  function runWhileFirstCallWaits(): void {
    const work = whileFirstCallWaits
    whileFirstCallWaits = undefined
    try {
      work?.()
    } catch {
      // Work done early for the caller's sake: if it fails, the caller meets the failure when it
      // does that work itself; the keychain call goes on either way.
    }
  }

  function keytar(): Promise<KeytarLike> {
    keytarPromise ??= loadKeytar().catch((error: unknown) => {
      keytarPromise = null
      if (error instanceof KeychainError) throw error
      throw new KeychainError(`The OS keychain library could not be loaded (${detailOf(error)})`, 'unavailable')
    })
    return keytarPromise
  }

  async function call<T>(operation: Operation, run: (kt: KeytarLike) => Promise<T>, secretValue?: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    let timedOut = false
    let nativeCall: Promise<T> | null = null
    // A listing runs alone: libsecret crashes the process (a NULL secret value) when
    // findCredentials reads an item that a concurrent call deletes.
    const work = gate.run(operation === 'list', () => {
      // Its caller already got a timeout: a late write or delete would surprise everyone.
      if (timedOut) return Promise.reject(new KeychainError('Abandoned after a timeout', 'timeout'))
      return keytar().then((kt) => {
        nativeCall = run(kt)
        runWhileFirstCallWaits()
        return nativeCall
      })
    })
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true
        // Still on its thread-pool thread: counted until it returns (abandoned-calls.ts).
        if (nativeCall) {
          const returned = noteAbandonedKeychainCall()
          nativeCall.then(returned, returned)
        }
        reject(new KeychainError(`The OS keychain did not answer within ${timeoutMs} ms (${operation})`, 'timeout'))
      }, timeoutMs)
    })
    // The race below may settle on the timeout first; a late failure must not go unhandled.
    work.catch(() => {})
    try {
      return await Promise.race([work, timeout])
    } catch (error) {
      throw toKeychainError(error, operation, secretValue)
    } finally {
      clearTimeout(timer)
    }
  }

  // Raw keychain items, one call each; the parts layer above turns long secrets into several.
  const items: KeychainItems = withSecretParts(
    {
      get: (account) => call('read', (kt) => kt.getPassword(service, account)),
      set: (account, value) => call('write', (kt) => kt.setPassword(service, account, value), value),
      delete: (account) => call('delete', (kt) => kt.deletePassword(service, account)),
      // findCredentials returns the passwords too; only the account names leave this function.
      list: async () => (await call('list', (kt) => kt.findCredentials(service))).map((credential) => credential.account),
    },
    options.maxSecretBytes === undefined ? platformSecretByteLimit() : options.maxSecretBytes,
  )

  /**
   * The Secret Service answers a lookup in a locked collection with "no such item" (null), and
   * libsecret crashes the process listing one (a NULL secret value). On Linux the collection's
   * `Locked` property tells the two apart without writing. Where that cannot be asked, a write
   * does: gnome-keyring refuses it with "Cannot create an item in a locked collection" (issue 11,
   * item 8), to this store's own probe item, so that probes of two processes never meet. A write
   * probe raced other processes: a listing that met a probe item deleted meanwhile crashed
   * libsecret, and a delete of an item another process had just deleted failed.
   */
  // One probe at a time within the store, shared by concurrent callers.
  let probeInFlight: Promise<void> | null = null
  function assertUnlocked(): Promise<void> {
    probeInFlight ??= (async () => {
      const locked = await readLockState().catch((error: unknown) => {
        throw toKeychainError(error, 'read', undefined)
      })
      if (locked === true) throw new KeychainError('The OS keychain is locked (its default collection is locked)', 'locked')
      if (locked === false) return
      await call('write', (kt) => kt.setPassword(service, lockProbe, 'lock-probe'))
      await call('delete', (kt) => kt.deletePassword(service, lockProbe))
    })().finally(() => {
      probeInFlight = null
    })
    return probeInFlight
  }

  return {
    async get(account) {
      const value = await items.get(account)
      if (value === null) await assertUnlocked()
      return value === null ? null : new Secret(value)
    },
    async set(account, value) {
      const revealed = value.reveal()
      // keytar refuses empty passwords with a generic error; say what is wrong instead.
      if (revealed.length === 0) throw new KeychainError('An empty secret cannot be stored in the OS keychain', 'failed')
      // libsecret and the macOS keychain keep C strings: a NUL would silently cut the secret short.
      if (revealed.includes('\u0000')) throw new KeychainError('A secret with a NUL character cannot be stored in the OS keychain', 'failed')
      await items.set(account, revealed)
    },
    delete(account) {
      return items.delete(account)
    },
    async accounts() {
      // Never list a locked collection: libsecret dereferences a NULL secret and the process dies
      // (SIGSEGV). The probe write refuses it first, with a KeychainError 'locked'.
      await assertUnlocked()
      // Other processes' probe items stay listed: the sweep removes those of killed ones.
      return (await items.list()).filter((account) => account !== lockProbe)
    },
    async probe() {
      // A lookup of an account nobody writes: it needs the Secret Service, not every secret.
      await call('read', (kt) => kt.getPassword(service, PROBE_ACCOUNT))
    },
  }
}

interface CallGate {
  /** Runs `work` when a slot is free (an exclusive call: when nothing else runs), in arrival order. */
  run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T>
}

function createCallGate(limit: number): CallGate {
  const waiting: Array<{ readonly exclusive: boolean; readonly start: () => void }> = []
  let running = 0
  let exclusiveRunning = false
  const pump = () => {
    for (let next = waiting[0]; next; next = waiting[0]) {
      const free = next.exclusive ? running === 0 : !exclusiveRunning && running < limit
      if (!free) return
      waiting.shift()
      running++
      exclusiveRunning = next.exclusive
      next.start()
    }
  }
  return {
    run(exclusive, work) {
      return new Promise((resolve, reject) => {
        waiting.push({
          exclusive,
          start: () => {
            void Promise.resolve()
              .then(work)
              .then(resolve, reject)
              .finally(() => {
                running--
                if (exclusive) exclusiveRunning = false
                pump()
              })
          },
        })
        pump()
      })
    },
  }
}

/** The bus answers its handshake in well under a millisecond; a silent one is given this long. */
const BUS_PROBE_TIMEOUT_MS = 2_000

async function importKeytarWhenBusAnswers(probeTimeoutMs: number): Promise<KeytarLike> {
  if (process.platform === 'linux') await probeSessionBus(process.env.DBUS_SESSION_BUS_ADDRESS, probeTimeoutMs)
  return importKeytar()
}

async function importKeytar(): Promise<KeytarLike> {
  // require() rather than import(): keytar is CommonJS, and Node's ESM bridge adds a few
  // milliseconds to every `datasource-desk token`, which scripts call in loops.
  return createRequire(import.meta.url)('keytar') as KeytarLike
}

const UNAVAILABLE =
  /d-?bus|org\.freedesktop\.secrets|not provided by any \.service|could not connect|no such file|connection refused|autolaunch|serviceunknown|lack of content|secret service/i
const LOCKED = /locked|unlock|prompt|dismissed|cancel|user interaction|interaction is not allowed|-25308/i

/** Maps whatever keytar or the OS threw to a KeychainError whose message never holds a secret. */
function toKeychainError(error: unknown, operation: Operation, secretValue: string | undefined): KeychainError {
  if (error instanceof KeychainError) return error
  const detail = detailOf(error, secretValue)
  if (UNAVAILABLE.test(detail)) {
    return new KeychainError(`The OS keychain is not available (${operation}: ${detail})`, 'unavailable')
  }
  if (LOCKED.test(detail)) return new KeychainError(`The OS keychain is locked (${operation}: ${detail})`, 'locked')
  return new KeychainError(`The OS keychain ${operation} failed (${detail})`, 'failed')
}

function detailOf(error: unknown, secretValue?: string): string {
  let text = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error'
  // OS messages do not echo the password today; this makes sure a future one cannot leak it.
  // A whole-message replacement, and only for values long enough not to match ordinary words
  // (a one-letter secret used to turn "does not exist" into "doe[redacted] not exi[redacted]t").
  if (secretValue && secretValue.length >= 3 && text.includes(secretValue)) text = '[redacted: the message repeated the secret]'
  text = text.replace(/\s+/g, ' ').trim()
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}...` : text || 'no detail'
}
