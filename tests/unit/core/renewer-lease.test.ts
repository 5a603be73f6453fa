/**
 * Issue 12 item 2: the renewal lease holds while its holder works. A token request that takes far
 * longer than the lease's TTL (the answer is held back) must not let another process take the
 * lease; once the holder is done the lease is free at once. The lease runs on an injected fake
 * clock; SQLite is a real file, the keychain an in-memory store, the token endpoint a fetch that
 * answers when the test says so (no keyring, no network).
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DATABASE_FILE } from '../../../electron/core/core'
import { openDatabase, type Db } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { silentLogger, systemClock, type FetchLike } from '../../../electron/core/deps'
import { HistoryLog } from '../../../electron/core/history-log'
import { LEASE_TTL_MS, Renewer } from '../../../electron/core/renewer'
import { SecretVault } from '../../../electron/core/secret-vault'
import { Secret } from '../../../electron/core/secrets/secret'
import { FakeClock, flushPromises } from '../../support/fake-clock'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'
import { asDatasourceId } from '../../../shared/ids'

const ID = asDatasourceId('3f2b7c1e-0000-4000-8000-00000000feed')

let temp: ReturnType<typeof makeTempDir>
let db: Db
let repo: DatasourceRepository
let leaseClock: FakeClock
let answer: (() => void) | null
let renewer: Renewer

/** A token endpoint whose answer waits until the test calls `answer()`. */
const heldFetch: FetchLike = () =>
  new Promise((resolve) => {
    answer = () =>
      resolve(
        new Response(JSON.stringify({ access_token: 'new-access-token', token_type: 'Bearer', expires_in: 3600 }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      )
  })

beforeEach(() => {
  temp = makeTempDir('dsd-lease-')
  db = openDatabase(join(temp.dir, DATABASE_FILE))
  repo = new DatasourceRepository(db)
  const now = Date.now()
  repo.save({
    id: ID,
    name: 'CRM',
    url: '',
    auth: {
      type: 'oauth2-password',
      tokenUrl: 'http://127.0.0.1:9/token',
      clientId: 'desk-public',
      clientAuth: 'none',
      username: 'ana',
      rememberPassword: false,
      scope: '',
      extraParams: [],
      hasClientSecret: false,
      hasPassword: false,
    },
    revision: 1,
    createdAt: now,
    updatedAt: now,
  })
  leaseClock = new FakeClock()
  answer = null
  const secrets = new MemorySecretStore()
  const holder = `${process.pid}:this-test`
  const vault = new SecretVault({ repo, secrets, clock: systemClock, logger: silentLogger, holder })
  renewer = new Renewer({ repo, vault, fetch: heldFetch, clock: systemClock, logger: silentLogger, history: new HistoryLog(repo, systemClock, silentLogger), holder, leaseClock })
})

afterEach(() => {
  db.close()
  temp.cleanup()
})

/** What another process would get if it tried to take the lease now. */
const otherProcessGetsLease = (): boolean => repo.tryAcquireLease(ID, `${process.ppid}:other-process`, leaseClock.now(), LEASE_TTL_MS, () => false)

describe('the renewal lease', () => {
  it('stays with its holder while a token request runs four times longer than the TTL, and is free once it is done', async () => {
    const signIn = renewer.signIn(ID, new Secret('typed password'), false)
    for (let waited = 0; answer === null && waited < 100; waited++) await flushPromises()
    expect(answer).not.toBeNull()

    for (let elapsed = 0; elapsed < 4 * LEASE_TTL_MS; elapsed += 5_000) {
      await leaseClock.advanceAsync(5_000)
      expect(otherProcessGetsLease(), `after ${elapsed + 5_000} ms`).toBe(false)
    }

    answer!()
    expect(await signIn).toMatchObject({ ok: true })
    expect(otherProcessGetsLease()).toBe(true)
  })

  it('is taken over after its TTL when its holder stopped renewing it (a frozen process)', () => {
    expect(repo.tryAcquireLease(ID, `${process.ppid}:frozen`, leaseClock.now(), LEASE_TTL_MS)).toBe(true)
    leaseClock.advance(LEASE_TTL_MS - 1)
    expect(otherProcessGetsLease()).toBe(false)
    leaseClock.advance(2)
    expect(otherProcessGetsLease()).toBe(true)
  })
})
