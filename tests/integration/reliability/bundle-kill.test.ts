/**
 * A process SIGKILLed between a token bundle's keychain write and the SQLite commit of its pointers
 * (issue 14): real keyring (run inside with-keyring.sh), real SQLite file, real OAuth server, the
 * child in its own process (tests/support/bundle-child.ts). The old, consistent tokens must stay;
 * the bundle is recorded as a write of a process that is gone, and the next core removes it.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { isTokenBundleAccount } from '../../../electron/core/secrets/secret-store'
import type { BundleChildConfig } from '../../support/bundle-child'
import { buildChildScript, type BuiltChild } from '../../support/child-build'
import { runChild } from '../../support/child-process'
import { passwordForm, unwrap } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { storedPointer, storedSecret } from '../../support/stored-secrets'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-bundle-kill-${randomUUID()}`
const keyring = createKeytarSecretStore(keychainService)
const temp = makeTempDir('dsd-bundle-kill-')
let built: BuiltChild
let server: OAuthTestServer

beforeAll(async () => {
  requireKeyringSession()
  built = await buildChildScript('bundle-child')
  server = await startOAuthServer({ rotateRefreshTokens: true })
}, 60_000)

afterAll(async () => {
  for (const account of await keyring.accounts().catch(() => [])) await keyring.delete(account).catch(() => false)
  await server?.close()
  temp.cleanup()
  built?.cleanup()
})

const openCore = (): Promise<Core> => createCore({ dataDir: temp.dir, secretStore: keyring, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })

function secretWrites(): Array<{ account: string; holder: string }> {
  const db = new Database(join(temp.dir, DATABASE_FILE), { readonly: true })
  try {
    return db.prepare('SELECT account, holder FROM secret_writes').all() as Array<{ account: string; holder: string }>
  } finally {
    db.close()
  }
}

describe('SIGKILL between a token bundle write and its commit', () => {
  it('keeps every old token, leaves a traceable bundle, and the next core removes it and renews', async () => {
    const setup = await openCore()
    const ids: string[] = []
    for (const name of ['Alpha', 'Beta', 'Gamma']) {
      const input = passwordForm(server, {}, name)
      const testId = randomUUID()
      unwrap(await setup.handlers.testConnection({ testId, input }))
      ids.push(unwrap(await setup.handlers.saveDatasource({ input, testId })).id)
    }
    await setup.close()
    const before = new Map(ids.map((id) => [id, { pointer: storedPointer(temp.dir, id, 'refresh-token') }]))
    const tokensBefore = new Map<string, string | null>()
    for (const id of ids) tokensBefore.set(id, await storedSecret(temp.dir, keyring, id, 'access-token'))

    const config: BundleChildConfig = { dataDir: temp.dir, keychainService, ids }
    const child = runChild(built.file, config)
    const holder = (await child.waitForLine((line) => line.startsWith('holder '), 30_000)).slice('holder '.length)
    const staged = (await child.waitForLine((line) => line.startsWith('bundle-staged '), 30_000)).slice('bundle-staged '.length)
    child.process.kill('SIGKILL')
    expect((await child.exited).signal).toBe('SIGKILL')
    expect(child.lines).not.toContain('committed')

    // The bundle reached the keychain, recorded as the killed process's write; no pointer names it.
    expect(isTokenBundleAccount(staged)).toBe(true)
    expect(await keyring.get(staged)).not.toBeNull()
    expect(secretWrites()).toContainEqual({ account: staged, holder })
    for (const id of ids) {
      expect(storedPointer(temp.dir, id, 'refresh-token')).toEqual(before.get(id)!.pointer)
      expect(await storedSecret(temp.dir, keyring, id, 'access-token')).toBe(tokensBefore.get(id))
    }

    // The next core's start-up sweep removes it (its writer is gone), and every datasource renews.
    const core = await openCore()
    try {
      await expect.poll(() => keyring.get(staged), { timeout: 15_000 }).toBeNull()
      expect(secretWrites().map((write) => write.account)).not.toContain(staged)
      for (const id of ids) expect(await core.renewNow(id)).toMatchObject({ ok: true, value: { state: 'idle', lastError: null } })
    } finally {
      await core.close()
    }
  }, 120_000)
})
