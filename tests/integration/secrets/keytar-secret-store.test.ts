/**
 * The keytar SecretStore against the real Secret Service (gnome-keyring). Run inside
 * tests/support/with-keyring.sh, which provides a throwaway, unlocked keyring on a private D-Bus.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { KeychainError, legacySecretAccount as secretAccount } from '../../../electron/core/secrets/secret-store'
import { requireKeyringSession } from '../../support/keyring-session'

// One service name per run, so parallel runs and the user's real entries are never touched.
const service = `datasource-desk-test-${process.pid}-${randomUUID()}`
const store = createKeytarSecretStore(service)
const ugly = 'p|a=s+s/w&o rd ünï 🔑 "quoted" \\ ;--'

describe('keytar secret store (real keyring)', () => {
  beforeAll(() => {
    requireKeyringSession()
  })

  afterAll(async () => {
    for (const account of await store.accounts()) await store.delete(account)
  })

  it('stores and reads back a secret with characters that need care', async () => {
    const account = secretAccount('ds-roundtrip', 'password')
    await store.set(account, new Secret(ugly))
    const read = await store.get(account)
    expect(read).toBeInstanceOf(Secret)
    expect(read?.reveal()).toBe(ugly)
    expect(String(read)).toBe('[redacted]')
  })

  it('returns null for an account it does not hold', async () => {
    expect(await store.get(secretAccount('ds-missing', 'access-token'))).toBeNull()
  })

  it('replaces a secret on a second set', async () => {
    const account = secretAccount('ds-replace', 'client-secret')
    await store.set(account, new Secret('first'))
    await store.set(account, new Secret('second'))
    expect((await store.get(account))?.reveal()).toBe('second')
    expect((await store.accounts()).filter((name) => name === account)).toHaveLength(1)
  })

  it('deletes, and says whether something was deleted', async () => {
    const account = secretAccount('ds-delete', 'refresh-token')
    await store.set(account, new Secret('to-be-deleted'))
    expect(await store.delete(account)).toBe(true)
    expect(await store.get(account)).toBeNull()
    expect(await store.delete(account)).toBe(false)
  })

  it('lists only the account names of its own service', async () => {
    const other = createKeytarSecretStore(`${service}-other`)
    const mine = secretAccount('ds-list', 'access-token')
    const theirs = secretAccount('ds-foreign', 'access-token')
    await store.set(mine, new Secret('listed-secret-value'))
    await other.set(theirs, new Secret('foreign-secret-value'))
    try {
      const accounts = await store.accounts()
      expect(accounts).toContain(mine)
      expect(accounts).not.toContain(theirs)
      expect(accounts.every((account) => typeof account === 'string')).toBe(true)
      expect(JSON.stringify(accounts)).not.toContain('listed-secret-value')
      expect(await other.get(mine)).toBeNull()
    } finally {
      await other.delete(theirs)
    }
  })

  it('refuses an empty secret with a KeychainError', async () => {
    await expect(store.set(secretAccount('ds-empty', 'password'), new Secret(''))).rejects.toBeInstanceOf(KeychainError)
  })

  it('keeps working under concurrent calls', async () => {
    const accounts = Array.from({ length: 20 }, (_, index) => secretAccount(`ds-concurrent-${index}`, 'access-token'))
    await Promise.all(accounts.map((account, index) => store.set(account, new Secret(`token-${index}`))))
    const values = await Promise.all(accounts.map((account) => store.get(account)))
    expect(values.map((value) => value?.reveal())).toEqual(accounts.map((_, index) => `token-${index}`))
  })

  it('round-trips a 16 KB access token as it is (the Secret Service has no item size limit)', async () => {
    const account = secretAccount('ds-long', 'access-token')
    const long = `eyJ${'x'.repeat(16_381)}`
    await store.set(account, new Secret(long))
    expect((await store.get(account))?.reveal()).toBe(long)
    expect(await store.delete(account)).toBe(true)
  })

  it('round-trips a 16 KB access token in parts under the Windows limit, and deletes every part', async () => {
    const windowsLike = createKeytarSecretStore(service, { maxSecretBytes: 2560 })
    // Without the parts layer: every item as the keyring holds it.
    const raw = createKeytarSecretStore(service, { maxSecretBytes: null })
    const account = secretAccount('ds-parts', 'access-token')
    const long = `eyJ${'🔑y'.repeat(5_461)}`
    await windowsLike.set(account, new Secret(long))
    expect((await windowsLike.get(account))?.reveal()).toBe(long)
    const items = (await raw.accounts()).filter((name) => name.startsWith(account))
    expect(items.length).toBeGreaterThan(7)
    for (const name of items) expect(Buffer.byteLength((await raw.get(name))?.reveal() ?? '', 'utf8')).toBeLessThanOrEqual(2560)
    expect((await windowsLike.accounts()).filter((name) => name.startsWith(account))).toEqual([account])
    expect(await windowsLike.delete(account)).toBe(true)
    expect((await raw.accounts()).filter((name) => name.startsWith(account))).toEqual([])
  })
})
