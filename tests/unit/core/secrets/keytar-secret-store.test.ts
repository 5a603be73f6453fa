import { describe, expect, it } from 'vitest'
import { abandonedKeychainCalls } from '../../../../electron/core/secrets/abandoned-calls'
import { createKeytarSecretStore, DEFAULT_MAX_CONCURRENT_CALLS, type KeytarLike } from '../../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../../electron/core/secrets/secret'
import { KeychainError, lockProbeHolder } from '../../../../electron/core/secrets/secret-store'

const never = <T>(): Promise<T> => new Promise<T>(() => {})

function fakeKeytar(overrides: Partial<KeytarLike> = {}): KeytarLike {
  const items = new Map<string, string>()
  return {
    getPassword: async (service, account) => items.get(`${service}\n${account}`) ?? null,
    setPassword: async (service, account, password) => void items.set(`${service}\n${account}`, password),
    deletePassword: async (service, account) => items.delete(`${service}\n${account}`),
    findCredentials: async (service) =>
      [...items].filter(([key]) => key.startsWith(`${service}\n`)).map(([key, password]) => ({ account: key.split('\n')[1] ?? '', password })),
    ...overrides,
  }
}

async function keychainError(promise: Promise<unknown>): Promise<KeychainError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(KeychainError)
  return error as KeychainError
}

describe('createKeytarSecretStore', () => {
  it('round-trips through keytar and lists account names only', async () => {
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => fakeKeytar() })
    await store.set('a/password', new Secret('hunter2'))
    expect((await store.get('a/password'))?.reveal()).toBe('hunter2')
    expect(await store.accounts()).toEqual(['a/password'])
    expect(await store.delete('a/password')).toBe(true)
  })

  it('loads keytar once, lazily', async () => {
    let loads = 0
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => (loads++, fakeKeytar()) })
    expect(loads).toBe(0)
    await store.get('x/password')
    await store.get('y/password')
    expect(loads).toBe(1)
  })

  it('turns a failing native module load into "unavailable", and retries the load later', async () => {
    let attempts = 0
    const store = createKeytarSecretStore('svc', {
      loadKeytar: async () => {
        attempts++
        if (attempts === 1) throw new Error('Cannot find module keytar.node')
        return fakeKeytar()
      },
    })
    const error = await keychainError(store.get('a/password'))
    expect(error.code).toBe('unavailable')
    expect(await store.get('a/password')).toBeNull()
  })

  it.each([
    ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'unavailable'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'unavailable'],
    ['Could not connect: No such file or directory', 'unavailable'],
    ['Cannot create an item in a locked collection', 'locked'],
    ['User interaction is not allowed. (-25308)', 'locked'],
    ['Something else went wrong', 'failed'],
  ] as const)('maps "%s" to %s', async (message, code) => {
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => fakeKeytar({ getPassword: () => Promise.reject(new Error(message)) }) })
    expect((await keychainError(store.get('a/password'))).code).toBe(code)
  })

  it('never puts the secret into an error message, even when the OS echoes it', async () => {
    const store = createKeytarSecretStore('svc', {
      loadKeytar: async () => fakeKeytar({ setPassword: (_s, _a, password) => Promise.reject(new Error(`refused value ${password}`)) }),
    })
    const error = await keychainError(store.set('a/password', new Secret('canary-7f3e')))
    expect(error.message).not.toContain('canary-7f3e')
    // The whole message, so no position of the secret inside it shows.
    expect(error.message).toContain('[redacted: the message repeated the secret]')
    expect(error.message).not.toContain('refused value')
  })

  it('does not mangle an OS message with a one-letter secret (issue 11: "doe[redacted] not exi[redacted]t")', async () => {
    const store = createKeytarSecretStore('svc', {
      loadKeytar: async () => fakeKeytar({ setPassword: () => Promise.reject(new Error('Object does not exist at path /collection/login')) }),
    })
    expect((await keychainError(store.set('a/password', new Secret('s')))).message).toContain('Object does not exist at path')
  })

  it('rejects with "timeout" when keytar does not answer', async () => {
    const store = createKeytarSecretStore('svc', { timeoutMs: 50, loadKeytar: async () => fakeKeytar({ getPassword: never }) })
    const started = Date.now()
    expect((await keychainError(store.get('a/password'))).code).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('times out a native module load that hangs', async () => {
    const store = createKeytarSecretStore('svc', { timeoutMs: 50, loadKeytar: never })
    expect((await keychainError(store.accounts())).code).toBe('timeout')
  })

  it('with one call at a time: behind a stuck call, later ones time out without ever starting', async () => {
    const releases: Array<() => void> = []
    let calls = 0
    const kt = fakeKeytar({
      getPassword: () => {
        calls++
        return new Promise((resolve) => releases.push(() => resolve(null)))
      },
    })
    const store = createKeytarSecretStore('svc', { timeoutMs: 30, maxConcurrentCalls: 1, loadKeytar: async () => kt })
    expect((await keychainError(store.get('a/password'))).code).toBe('timeout')
    expect((await keychainError(store.get('b/password'))).code).toBe('timeout')
    expect(calls).toBe(1)
    for (const release of releases) release()
    releases.length = 0
    const pending = store.get('c/password')
    await new Promise((resolve) => setTimeout(resolve, 5))
    releases.forEach((release) => release())
    expect(await pending).toBeNull()
    // b was abandoned by its caller, so it never reached the keychain.
    expect(calls).toBe(2)
  })

  it('holds at most 3 keychain threads when the keyring never answers; the rest time out unstarted', async () => {
    let calls = 0
    const kt = fakeKeytar({ getPassword: () => (calls++, never()), setPassword: () => (calls++, never()) })
    const store = createKeytarSecretStore('svc', { timeoutMs: 30, loadKeytar: async () => kt })
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => keychainError(index % 2 ? store.get(`${index}/password`) : store.set(`${index}/password`, new Secret('x')))))
    expect(results.map((error) => error.code)).toEqual(Array(8).fill('timeout'))
    expect(calls).toBe(DEFAULT_MAX_CONCURRENT_CALLS)
    expect(DEFAULT_MAX_CONCURRENT_CALLS).toBe(3)
  })

  it('runs up to 3 calls at once, and a listing alone (libsecret crashes if an item goes away under findCredentials)', async () => {
    let running = 0
    let most = 0
    let listingWithOthers = false
    let listing = false
    const slow = async <T>(value: T, isList = false): Promise<T> => {
      running++
      if (isList) listing = true
      if (listing && running > 1) listingWithOthers = true
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
      if (isList) listing = false
      return value
    }
    const kt = fakeKeytar({
      getPassword: () => slow(null),
      deletePassword: () => slow(true),
      findCredentials: () => slow([], true),
    })
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => kt })
    const before = Array.from({ length: 6 }, (_, index) => store.get(`${index}/password`))
    const listed = store.accounts()
    const after = Array.from({ length: 6 }, (_, index) => store.delete(`${index}/password`))
    await Promise.all([...before, listed, ...after])
    expect(most).toBe(3)
    expect(listingWithOthers).toBe(false)
  })

  it('runs whileFirstCallWaits once, after the first keychain call was handed to keytar and before it answers', async () => {
    const events: string[] = []
    let answer: (value: string | null) => void = () => {}
    const kt = fakeKeytar({
      getPassword: () => {
        events.push('native call')
        return new Promise((resolve) => (answer = resolve))
      },
    })
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => kt, readLockState: async () => false, whileFirstCallWaits: () => events.push('while waiting') })
    const first = store.get('a/password')
    await expect.poll(() => events).toEqual(['native call', 'while waiting'])
    answer('secret')
    expect((await first)?.reveal()).toBe('secret')
    const second = store.get('b/password')
    await expect.poll(() => events.length).toBe(3)
    answer(null)
    await second
    expect(events).toEqual(['native call', 'while waiting', 'native call'])
  })

  it('probes availability with one lookup, without listing every secret', async () => {
    let listed = 0
    let lookups = 0
    const kt = fakeKeytar({ findCredentials: async () => (listed++, []), getPassword: async () => (lookups++, null) })
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => kt })
    await store.probe?.()
    expect([lookups, listed]).toEqual([1, 0])
    const down = createKeytarSecretStore('svc', { loadKeytar: async () => fakeKeytar({ getPassword: async () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')) }) })
    expect((await keychainError(down.probe!())).code).toBe('unavailable')
  })

  it('asks the lock state before writing a probe: locked refuses, unlocked writes nothing, unknown writes and deletes its own probe item', async () => {
    const writes: string[] = []
    const kt = fakeKeytar({ setPassword: async (_service, account) => void writes.push(account) })
    const locked = createKeytarSecretStore('svc', { loadKeytar: async () => kt, readLockState: async () => true })
    expect((await keychainError(locked.get('a/password'))).code).toBe('locked')
    expect((await keychainError(locked.accounts())).code).toBe('locked')
    const unlocked = createKeytarSecretStore('svc', { loadKeytar: async () => kt, readLockState: async () => false })
    expect(await unlocked.get('a/password')).toBeNull()
    expect(await unlocked.accounts()).toEqual([])
    expect(writes).toEqual([])
    const unknown = createKeytarSecretStore('svc', { loadKeytar: async () => kt, readLockState: async () => null })
    const other = createKeytarSecretStore('svc', { loadKeytar: async () => kt, readLockState: async () => null })
    await unknown.get('a/password')
    await other.get('a/password')
    expect(writes).toHaveLength(2)
    // One probe item per store (and so per process), named after its holder for the sweep.
    expect(new Set(writes).size).toBe(2)
    for (const account of writes) expect(lockProbeHolder(account)).toMatch(new RegExp(`^${process.pid}:`))
  })

  it('maps a lock state that cannot be read like any keychain failure', async () => {
    const store = createKeytarSecretStore('svc', { loadKeytar: async () => fakeKeytar(), readLockState: () => Promise.reject(new Error('Could not connect: No such file or directory')) })
    expect((await keychainError(store.get('a/password'))).code).toBe('unavailable')
  })

  it('counts a native call that timed out until it returns (the CLI then exits past its stuck thread)', async () => {
    let release: (value: null) => void = () => {}
    const kt = fakeKeytar({ getPassword: () => new Promise((resolve) => (release = resolve)) })
    const store = createKeytarSecretStore('svc', { timeoutMs: 20, loadKeytar: async () => kt, readLockState: async () => false })
    const before = abandonedKeychainCalls()
    expect((await keychainError(store.get('a/password'))).code).toBe('timeout')
    expect(abandonedKeychainCalls()).toBe(before + 1)
    release(null)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(abandonedKeychainCalls()).toBe(before)
    // A call that answers in time is never counted.
    const quick = createKeytarSecretStore('svc', { timeoutMs: 1_000, loadKeytar: async () => fakeKeytar(), readLockState: async () => false })
    await quick.get('b/password')
    expect(abandonedKeychainCalls()).toBe(before)
  })

  it('refuses an empty service name', () => {
    expect(() => createKeytarSecretStore('')).toThrow(TypeError)
  })
})
