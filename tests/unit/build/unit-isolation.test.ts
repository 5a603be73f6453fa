/**
 * The fast projects (`npm run test:unit`) run with no keyring and no network, also inside
 * with-keyring.sh when `npm test` runs them: a unit test that needed either would fail here
 * first, not on a developer's machine without gnome-keyring.
 */
import { describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { KeychainError } from '../../../electron/core/secrets/secret-store'

describe('unit project isolation', () => {
  it('cannot reach a keyring: the keychain answers "unavailable"', async () => {
    expect(process.env.DBUS_SESSION_BUS_ADDRESS).toMatch(/nonexistent/)
    const store = createKeytarSecretStore(`datasource-desk-unit-isolation-${process.pid}`, { timeoutMs: 5_000 })
    const error = await store.get('probe/password').then(
      () => null,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(KeychainError)
    expect((error as KeychainError).code).toBe('unavailable')
  })

  it('cannot reach anything beyond 127.0.0.1', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737); the guard refuses it before a packet leaves.
    const failure = await fetch('http://192.0.2.1/', { signal: AbortSignal.timeout(10_000) }).then(
      () => null,
      (reason: unknown) => reason as Error & { cause?: Error },
    )
    expect(failure?.cause?.message).toMatch(/loopback-only guard: tcp to 192\.0\.2\.1 refused/)
    await expect(fetch('http://unit-isolation.invalid/')).rejects.toThrow()
  })
})
