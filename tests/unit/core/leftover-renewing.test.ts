/**
 * Issue 12, item 6: one policy for a `renewing` state left in SQLite. It stays `renewing` only
 * while a live lease stands for it (not expired, its holder's process alive); otherwise it is a
 * leftover and reads as idle, whatever its age. One case per rule, then the app's start-up, which
 * decides with the same function (the CLI's `status` is checked in cli-status.test.ts).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE } from '../../../electron/core/core'
import { openDatabase } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { believedRenewalState, leaseIsLive } from '../../../electron/core/leftover-renewing'
import type { RenewalState } from '../../../shared/token'
import { FakeClock } from '../../support/fake-clock'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'
import { asDatasourceId } from '../../../shared/ids'

const NOW = 1_800_000_000_000
const alive = () => false

/** The pid of a process that has exited. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

describe('believedRenewalState', () => {
  it('reads no stored state as idle', () => {
    expect(believedRenewalState(undefined, () => null, NOW, alive)).toBe('idle')
  })

  it('passes every other state through without reading the lease', () => {
    const lease = () => {
      throw new Error('read the lease for a state that is not renewing')
    }
    for (const state of ['idle', 'retrying', 'action-needed', 'sign-in-needed'] satisfies RenewalState[]) {
      expect(believedRenewalState(state, lease, NOW, alive)).toBe(state)
    }
  })

  it('reads renewing without a lease as idle: the process stopped mid-request and released nothing', () => {
    expect(believedRenewalState('renewing', () => null, NOW, alive)).toBe('idle')
  })

  it('keeps renewing while an unexpired lease is held by a live process, however long it has run', () => {
    expect(believedRenewalState('renewing', () => ({ holder: '4242:app', expiresAt: NOW + 1 }), NOW, alive)).toBe('renewing')
  })

  it('reads renewing under an expired lease as idle (a frozen holder stopped extending it)', () => {
    expect(believedRenewalState('renewing', () => ({ holder: '4242:app', expiresAt: NOW }), NOW, alive)).toBe('idle')
  })

  it('reads renewing under an unexpired lease of a killed process as idle (process-holder.ts holderGone)', async () => {
    const holder = `${await exitedPid()}:killed-cli`
    expect(leaseIsLive({ holder, expiresAt: NOW + 60_000 }, NOW)).toBe(false)
    expect(believedRenewalState('renewing', () => ({ holder, expiresAt: NOW + 60_000 }), NOW)).toBe('idle')
    // The same lease of a process that exists (this one) stands.
    expect(believedRenewalState('renewing', () => ({ holder: `${process.pid}:other-core`, expiresAt: NOW + 60_000 }), NOW)).toBe('renewing')
  })
})

describe('the app start-up', () => {
  let temp: ReturnType<typeof makeTempDir>
  beforeEach(() => {
    temp = makeTempDir('dsd-leftover-')
  })
  afterEach(() => temp.cleanup())

  it('starts over a leftover renewing at its usual time, and joins a renewal running elsewhere at once', async () => {
    const clock = new FakeClock()
    const db = openDatabase(join(temp.dir, DATABASE_FILE))
    const repo = new DatasourceRepository(db)
    const now = clock.now()
    const ids = { leftover: asDatasourceId('3f2b7c1e-0000-4000-8000-00000000000a'), elsewhere: asDatasourceId('3f2b7c1e-0000-4000-8000-00000000000b') }
    for (const [name, id] of Object.entries(ids)) {
      repo.save({
        id,
        name,
        url: '',
        auth: { type: 'oauth2-password', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'desk', clientAuth: 'none', username: 'ana', rememberPassword: false, scope: '', extraParams: [], hasClientSecret: false, hasPassword: false },
        revision: 1,
        createdAt: now,
        updatedAt: now,
      })
      repo.saveToken(id, { tokenType: 'Bearer', grantedScope: '', requestedScope: '', obtainedAt: now - 10 * 60_000, expiresAt: now + 50 * 60_000, hasRefreshToken: false })
      repo.saveRenewalState(id, { state: 'renewing', attempt: 0, nextAttemptAt: null, lastError: null, updatedAt: now - 1_000 })
    }
    // Another core in a live process (this one, under another holder name) is renewing "elsewhere".
    expect(repo.tryAcquireLease(ids.elsewhere, `${process.pid}:other-core`, Date.now(), 10 * 60_000)).toBe(true)
    db.close()

    const core = await createCore({ dataDir: temp.dir, secretStore: new MemorySecretStore(), fetch: globalThis.fetch, clock, notify: () => {} })
    try {
      const leftover = core.service.get(ids.leftover)
      const elsewhere = core.service.get(ids.elsewhere)
      if (!leftover.ok || !elsewhere.ok) throw new Error('not found')
      expect(leftover.value.status.state).toBe('idle')
      expect(leftover.value.status.renewAt).toBeGreaterThan(now)
      // Due now: its renewal waits for the other process's lease and takes the token it stores.
      expect(elsewhere.value.status.state).toBe('idle')
      expect(elsewhere.value.status.renewAt).toBe(now)
    } finally {
      await core.close()
    }
  })
})
