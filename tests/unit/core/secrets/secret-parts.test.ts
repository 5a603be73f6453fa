/**
 * Secrets longer than one keychain item (Windows Credential Manager: 2560 bytes of UTF-8) go
 * through the keytar store in parts. The keychain here is a stand-in that enforces Windows' limit
 * the way Windows does (the credential is refused); the real keyring runs the same round trip in
 * tests/integration/secrets/keytar-secret-store.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeytarSecretStore, type KeytarLike } from '../../../../electron/core/secrets/keytar-secret-store'
import { platformSecretByteLimit, splitUtf8, WINDOWS_CREDENTIAL_MAX_BYTES } from '../../../../electron/core/secrets/secret-parts'
import { Secret } from '../../../../electron/core/secrets/secret'
import { KeychainError } from '../../../../electron/core/secrets/secret-store'

/** A Windows-like Credential Manager: one map of items, refusing blobs over 2560 UTF-8 bytes. */
function windowsCredentials() {
  const items = new Map<string, string>()
  let writesLeft = Infinity
  const keytar: KeytarLike = {
    getPassword: async (_service, account) => items.get(account) ?? null,
    setPassword: async (_service, account, password) => {
      if (writesLeft-- <= 0) throw new Error('simulated crash')
      // CredWriteW fails with RPC_X_BAD_STUB_DATA for a CredentialBlobSize over the limit.
      if (Buffer.byteLength(password, 'utf8') > WINDOWS_CREDENTIAL_MAX_BYTES) throw new Error('The stub received bad data.')
      items.set(account, password)
    },
    deletePassword: async (_service, account) => items.delete(account),
    findCredentials: async () => [...items].map(([account, password]) => ({ account, password })),
  }
  return {
    items,
    /** The next `count` writes succeed, then every write fails (the process "crashed"). */
    crashAfterWrites(count: number) {
      writesLeft = count
    },
    healthy() {
      writesLeft = Infinity
    },
    /** A fresh store over the same credentials: what the next start of the app sees. */
    store: (maxSecretBytes: number | null = WINDOWS_CREDENTIAL_MAX_BYTES) => createKeytarSecretStore('svc', { loadKeytar: async () => keytar, maxSecretBytes }),
  }
}

const token = (bytes: number, seed = 'a'): string => `eyJ${seed}`.repeat(Math.ceil(bytes / 4)).slice(0, bytes)

describe('secrets longer than a Windows credential', () => {
  it('the stand-in refuses them the way Windows does, without parts', async () => {
    const credentials = windowsCredentials()
    const error = await credentials
      .store(null)
      .set('ds/access-token', new Secret(token(16_384)))
      .catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(KeychainError)
    expect(credentials.items.size).toBe(0)
  })

  it('are stored in parts that each fit, and read back whole', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    const long = token(16_384)
    await store.set('ds/access-token', new Secret(long))
    expect((await store.get('ds/access-token'))?.reveal()).toBe(long)
    expect(credentials.items.size).toBeGreaterThan(7)
    for (const value of credentials.items.values()) expect(Buffer.byteLength(value, 'utf8')).toBeLessThanOrEqual(WINDOWS_CREDENTIAL_MAX_BYTES)
    expect(await store.accounts()).toEqual(['ds/access-token'])
    // Another process (the CLI) reads it the same way.
    expect((await credentials.store().get('ds/access-token'))?.reveal()).toBe(long)
  })

  it('keep a secret that fits in one credential as one credential', async () => {
    const credentials = windowsCredentials()
    const exact = 'é'.repeat(WINDOWS_CREDENTIAL_MAX_BYTES / 2)
    await credentials.store().set('ds/password', new Secret(exact))
    expect([...credentials.items]).toEqual([['ds/password', exact]])
  })

  it('round-trip multi-byte text split on code point boundaries', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    const text = `${'🔑ünï'.repeat(900)}x`
    await store.set('ds/password', new Secret(text))
    expect((await store.get('ds/password'))?.reveal()).toBe(text)
  })

  it('round-trip a value that looks like the parts manifest itself', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    const tricky = `\u001ddatasource-desk-parts:v1:0123456789abcdef:1:3:${'0'.repeat(64)}`
    await store.set('ds/password', new Secret(tricky))
    expect((await store.get('ds/password'))?.reveal()).toBe(tricky)
  })

  it('leave no parts behind when replaced by a longer, a shorter or a short secret', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    await store.set('ds/access-token', new Secret(token(16_384)))
    await store.set('ds/access-token', new Secret(token(6_000, 'b')))
    expect(credentials.items.size).toBe(4)
    expect((await store.get('ds/access-token'))?.reveal()).toBe(token(6_000, 'b'))
    await store.set('ds/access-token', new Secret('short'))
    expect([...credentials.items]).toEqual([['ds/access-token', 'short']])
  })

  it('are deleted with all their parts', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    await store.set('ds/access-token', new Secret(token(16_384)))
    await store.set('other/access-token', new Secret(token(3_000, 'c')))
    expect(await store.delete('ds/access-token')).toBe(true)
    expect([...credentials.items.keys()].every((account) => account.startsWith('other/access-token'))).toBe(true)
    expect(await store.get('ds/access-token')).toBeNull()
    expect((await store.get('other/access-token'))?.reveal()).toBe(token(3_000, 'c'))
  })

  it('a crash between any two writes leaves the old or the new secret, never a wrong one', async () => {
    const before = token(9_000, 'o')
    const after = token(12_000, 'n')
    for (let writes = 0; writes <= 6; writes++) {
      const credentials = windowsCredentials()
      await credentials.store().set('ds/access-token', new Secret(before))
      credentials.crashAfterWrites(writes)
      await credentials
        .store()
        .set('ds/access-token', new Secret(after))
        .catch(() => {})
      credentials.healthy()
      const restarted = credentials.store()
      const read = (await restarted.get('ds/access-token'))?.reveal()
      expect([before, after], `crash after ${writes} writes`).toContain(read)
      // The next write cleans up what the crash left once the store has listed it (the start-up sweep does).
      await restarted.accounts()
      await restarted.set('ds/access-token', new Secret('short'))
      expect([...credentials.items.keys()], `after ${writes} writes`).toEqual(['ds/access-token'])
    }
  })

  it('a part that is missing or was changed reads as no secret, not as a wrong one', async () => {
    const credentials = windowsCredentials()
    const store = credentials.store()
    await store.set('ds/access-token', new Secret(token(8_000)))
    const [firstPart] = [...credentials.items.keys()].filter((account) => account !== 'ds/access-token')
    credentials.items.set(firstPart as string, 'x'.repeat(2_560))
    expect(await store.get('ds/access-token')).toBeNull()
    credentials.items.delete(firstPart as string)
    expect(await store.get('ds/access-token')).toBeNull()
  })

  it('parts whose secret was never committed are listed under its name, so the sweep removes them', async () => {
    const credentials = windowsCredentials()
    credentials.crashAfterWrites(3)
    await credentials
      .store()
      .set('gone/access-token', new Secret(token(16_384)))
      .catch(() => {})
    credentials.healthy()
    const restarted = credentials.store()
    expect(credentials.items.size).toBe(3)
    expect(await restarted.accounts()).toEqual(['gone/access-token'])
    expect(await restarted.get('gone/access-token')).toBeNull()
    expect(await restarted.delete('gone/access-token')).toBe(true)
    expect(credentials.items.size).toBe(0)
  })
})

describe('splitUtf8', () => {
  it('gives pieces within the limit that join back to the input, never splitting a character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 4, max: 64 }), (text, maxBytes) => {
        const parts = splitUtf8(text, maxBytes)
        expect(parts.join('')).toBe(text)
        for (const part of parts) {
          expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(maxBytes)
          // A lone surrogate would mean a character was cut in two.
          expect(part).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
        }
      }),
    )
  })
})

describe('platformSecretByteLimit', () => {
  it('is Windows Credential Manager\'s 2560 bytes on Windows and none elsewhere', () => {
    expect(platformSecretByteLimit('win32')).toBe(2560)
    expect(platformSecretByteLimit('darwin')).toBeNull()
    expect(platformSecretByteLimit('linux')).toBeNull()
  })
})
