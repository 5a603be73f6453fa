/**
 * database-sync.ts on its own (split out of DatasourceService, issue 12): the scheduler's picture of
 * the database follows commits made through another connection to the same SQLite file, as the
 * CLI's are. Real SQLite file, the real scheduler on a fake clock; no keychain, no network.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TokenMeta } from '../../../shared/token'
import { DATABASE_FILE } from '../../../electron/core/core'
import { DatabaseSync } from '../../../electron/core/database-sync'
import { openDatabase, type Db } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import type { CoreEvent } from '../../../electron/core/deps'
import { RenewalScheduler, type RenewalOutcome } from '../../../electron/core/renewal'
import { FakeClock } from '../../support/fake-clock'
import { makeTempDir } from '../../support/temp-dir'
import { asDatasourceId, type DatasourceId } from '../../../shared/ids'

const A = asDatasourceId('3f2b7c1e-0000-4000-8000-0000000000a1')
const B = asDatasourceId('3f2b7c1e-0000-4000-8000-0000000000b2')

let temp: ReturnType<typeof makeTempDir>
let ours: Db
let theirs: Db
let clock: FakeClock
let events: CoreEvent[]
let scheduler: RenewalScheduler
let sync: DatabaseSync
let answer: ((outcome: RenewalOutcome) => void) | null

const token = (obtainedAt: number): TokenMeta => ({ tokenType: 'Bearer', grantedScope: '', requestedScope: '', obtainedAt, expiresAt: obtainedAt + 3_600_000, hasRefreshToken: true })

/** A datasource (and its token) committed by another process. */
function addElsewhere(id: DatasourceId, name: string, at: number): void {
  const repo = new DatasourceRepository(theirs)
  repo.save({ id, name, url: '', auth: { type: 'none' }, revision: 1, createdAt: at, updatedAt: at })
  repo.saveToken(id, token(at))
}

beforeEach(() => {
  temp = makeTempDir('dsd-sync-')
  ours = openDatabase(join(temp.dir, DATABASE_FILE))
  theirs = openDatabase(join(temp.dir, DATABASE_FILE))
  clock = new FakeClock()
  events = []
  answer = null
  scheduler = new RenewalScheduler({
    clock,
    random: () => 0.5,
    perform: () => new Promise((resolve) => (answer = resolve)),
    onStatus: () => {},
    onPermanentFailure: () => {},
  })
  sync = new DatabaseSync({ repo: new DatasourceRepository(ours), scheduler, clock, emit: (event) => events.push(event) })
})

afterEach(() => {
  scheduler.dispose()
  ours.close()
  theirs.close()
  temp.cleanup()
})

const changedIds = () => events.flatMap((event) => (event.type === 'ipc' && event.name === 'datasourcesChanged' ? (event.payload as { ids: string[] }).ids : []))

describe('DatabaseSync', () => {
  it('schedules a datasource another process added, tells the window, and stops one it removed', () => {
    addElsewhere(A, 'CRM', clock.now())
    sync.loadAll()
    expect(scheduler.status(A)?.token?.obtainedAt).toBe(clock.now())

    addElsewhere(B, 'Billing', clock.now())
    expect(sync.sync()).toBe(true)
    expect(scheduler.status(B)?.token).not.toBeNull()
    expect(changedIds()).toEqual([B])
    expect(events.some((event) => event.type === 'ipc' && event.name === 'statusChanged')).toBe(true)

    events = []
    new DatasourceRepository(theirs).delete(A)
    expect(sync.sync()).toBe(true)
    expect(scheduler.status(A)).toBeUndefined()
    expect(changedIds()).toEqual([A])
  })

  it('reports nothing when nothing changed, and an edit made elsewhere as changed', () => {
    addElsewhere(A, 'CRM', clock.now())
    sync.loadAll()
    expect(sync.sync()).toBe(true)
    expect(events).toEqual([])
    addElsewhere(A, 'CRM (staging)', clock.now() + 1)
    sync.sync()
    expect(changedIds()).toEqual([A])
  })

  it('takes a token stored elsewhere, except while a renewal of ours is in flight: then it says it is not settled', async () => {
    addElsewhere(A, 'CRM', clock.now())
    sync.loadAll()
    const renewal = scheduler.renew(A, 'manual')
    new DatasourceRepository(theirs).saveToken(A, token(clock.now() + 5_000))
    expect(sync.sync()).toBe(false)
    expect(scheduler.status(A)?.token?.obtainedAt).toBe(clock.now())

    answer!({ ok: true, token: token(clock.now() + 5_000) })
    await renewal
    expect(sync.sync()).toBe(true)
    expect(scheduler.status(A)?.token?.obtainedAt).toBe(clock.now() + 5_000)
  })

  it('loads one datasource on its own (a command core), and nothing for an unknown id', () => {
    addElsewhere(A, 'CRM', clock.now())
    sync.loadOne(B)
    expect(scheduler.snapshot()).toEqual([])
    sync.loadOne(A)
    expect(scheduler.snapshot().map((status) => status.datasourceId)).toEqual([A])
  })
})
