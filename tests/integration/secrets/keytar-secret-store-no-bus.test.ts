/**
 * The keytar SecretStore when the Secret Service cannot be reached. GLib reads
 * DBUS_SESSION_BUS_ADDRESS when it first connects and keeps a working connection for the life of
 * the process, so this file must not share a process with the real-keyring test: vitest runs each
 * test file in its own child process (pool "forks", isolate on), and the address is set before
 * keytar is loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { KeychainError } from '../../../electron/core/secrets/secret-store'

const dir = mkdtempSync(join(tmpdir(), 'ddesk-bus-'))
const originalAddress = process.env.DBUS_SESSION_BUS_ADDRESS
let silentBus: Server
const silentClients: Socket[] = []

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; elapsed: number }> {
  const started = Date.now()
  try {
    await promise
  } catch (error) {
    return { error, elapsed: Date.now() - started }
  }
  throw new Error('expected the keychain call to fail')
}

describe('keytar secret store without a usable D-Bus session', () => {
  beforeAll(async () => {
    silentBus = createServer((socket) => silentClients.push(socket))
    await new Promise<void>((resolve) => silentBus.listen(join(dir, 'silent.sock'), resolve))
  })

  afterAll(async () => {
    // Hanging up releases the thread-pool threads that still wait for the silent bus.
    for (const socket of silentClients) socket.destroy()
    await new Promise<void>((resolve) => silentBus.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
    if (originalAddress === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS
    else process.env.DBUS_SESSION_BUS_ADDRESS = originalAddress
  })

  it('rejects with "unavailable" when the bus socket does not exist', async () => {
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, 'no-such-bus.sock')}`
    const store = createKeytarSecretStore(`datasource-desk-test-nobus-${process.pid}`, { timeoutMs: 2_000 })
    for (const call of [
      () => store.get('ds/password'),
      () => store.set('ds/password', new Secret('never-written-secret')),
      () => store.delete('ds/password'),
      () => store.accounts(),
    ]) {
      const { error, elapsed } = await rejection(call())
      expect(error).toBeInstanceOf(KeychainError)
      expect((error as KeychainError).code).toBe('unavailable')
      expect((error as KeychainError).message).not.toContain('never-written-secret')
      expect(elapsed).toBeLessThan(2_000)
    }
  })

  it('rejects with "timeout" instead of hanging when the bus never answers', async () => {
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, 'silent.sock')}`
    const store = createKeytarSecretStore(`datasource-desk-test-silent-${process.pid}`, { timeoutMs: 700 })
    const { error, elapsed } = await rejection(store.get('ds/access-token'))
    expect(error).toBeInstanceOf(KeychainError)
    expect((error as KeychainError).code).toBe('timeout')
    expect(elapsed).toBeGreaterThanOrEqual(650)
    expect(elapsed).toBeLessThan(3_000)
    expect(silentClients.length).toBeGreaterThan(0)
  })
})
