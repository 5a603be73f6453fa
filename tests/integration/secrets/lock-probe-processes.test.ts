/**
 * The keychain lock probe across processes, against the real Secret Service (gnome-keyring, inside
 * tests/support/with-keyring.sh). Every process used to write and delete one shared probe item
 * before a listing and after a lookup that found nothing; with two or three processes doing so at
 * once, a listing met an item deleted meanwhile and libsecret crashed the process (SIGSEGV), and a
 * delete of an item another process had just deleted failed the call. Now the lock state is read
 * without writing on Linux, and where a probe item is still written it is the store's own, swept
 * once its process is gone.
 */
import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../../../electron/core/core'
import { SWEEP_INTERVAL_MS } from '../../../electron/core/orphan-sweep'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { lockProbeAccount, lockProbeHolder } from '../../../electron/core/secrets/secret-store'
import { buildChildScript, type BuiltChild } from '../../support/child-build'
import { runChild } from '../../support/child-process'
import { startCoreHarness } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'

const killHook = pathToFileURL(resolve(join(__dirname, '../../support/keychain-kill-hook.mjs'))).href
let child: BuiltChild

async function runProbers(count: number, env: NodeJS.ProcessEnv) {
  const children = Array.from({ length: count }, () => runChild(child.file, {}, { ...process.env, ...env }))
  return Promise.all(
    children.map(async (running) => {
      const exit = await running.exited
      const report = running.lines.find((line) => line.startsWith('{'))
      return { exit, failures: report ? (JSON.parse(report) as { failures: string[] }).failures : null, stderr: running.stderr() }
    }),
  )
}

/** Probe items are in no database's records: only the sweep's listing finds them, which runs once a week. */
function weekSinceLastSweep(dataDir: string): void {
  const db = new Database(join(dataDir, DATABASE_FILE))
  db.prepare('UPDATE database_identity SET last_sweep_at = ?').run(Date.now() - SWEEP_INTERVAL_MS)
  db.close()
}

describe('lock probe across processes (real keyring)', () => {
  beforeAll(async () => {
    requireKeyringSession()
    child = await buildChildScript('lock-probe-child')
  }, 60_000)

  afterAll(() => child?.cleanup())

  it('three processes probing, reading and listing at once on one service: none crashes, none fails, no stored secret reads as missing', async () => {
    const service = `datasource-desk-test-probe-${randomUUID()}`
    const store = createKeytarSecretStore(service)
    await store.set('stored', new Secret('stored-value'))
    const results = await runProbers(3, { DATASOURCE_DESK_KEYCHAIN_SERVICE: service, DSD_PROBE_ROUNDS: '60', DSD_STORED_ACCOUNT: 'stored', DSD_STORED_VALUE: 'stored-value' })
    for (const result of results) {
      expect(result.exit, result.stderr).toEqual({ code: 0, signal: null })
      expect(result.failures, result.stderr).toEqual([])
    }
    // Nothing written for the probes: the service holds only the stored secret.
    expect(await store.accounts()).toEqual(['stored'])
    await store.delete('stored')
  }, 120_000)

  it('a prober killed between writing and deleting its own probe item: the next start-up sweep removes that item, and leaves a live prober\'s', async () => {
    const harness = await startCoreHarness()
    try {
      // The harness's own store: a second store in this process would list while the sweep deletes
      // (each store keeps its listings apart from its own calls only).
      const raw = harness.secretStore
      // A live process's probe item (this one's pid): its own to delete, never the sweep's.
      const live = lockProbeAccount(`${process.pid}:${randomUUID()}`)
      await raw.set(live, new Secret('lock-probe'))
      // The child's first write is its stored secret, the second its probe item; it dies right after.
      const [killed] = await runProbers(1, {
        DATASOURCE_DESK_KEYCHAIN_SERVICE: harness.keychainService,
        DSD_PROBE_WRITE: '1',
        DSD_STORE_FIRST: '1',
        DSD_STORED_ACCOUNT: 'stored',
        DSD_STORED_VALUE: 'stored-value',
        NODE_OPTIONS: `--import ${killHook}`,
        DSD_KILL_AT: 'after:set:2',
      })
      expect(killed!.exit.signal).toBe('SIGKILL')
      const probeItems = async () => (await raw.accounts()).filter((account) => lockProbeHolder(account) !== null)
      const left = await probeItems()
      expect(left).toHaveLength(2)
      expect(left).toContain(live)
      await raw.delete('stored')
      weekSinceLastSweep(harness.dataDir)
      await harness.restart()
      await expect.poll(probeItems, { timeout: 15_000 }).toEqual([live])
    } finally {
      await harness.dispose()
    }
  }, 120_000)

  it('the shared probe item older versions left is swept too', async () => {
    const harness = await startCoreHarness()
    try {
      const raw = harness.secretStore
      await raw.set('datasource-desk-lock-probe', new Secret('lock-probe'))
      weekSinceLastSweep(harness.dataDir)
      await harness.restart()
      await expect.poll(async () => (await raw.accounts()).includes('datasource-desk-lock-probe'), { timeout: 15_000 }).toBe(false)
    } finally {
      await harness.dispose()
    }
  }, 60_000)
})
