/**
 * The poll loop that follows other processes' commits (database-follower.ts), on the fake clock:
 * it syncs only when data_version moved (or the last sync asked to look again), keeps one timer,
 * survives a failing read, and stops for good. Plus data_version itself on real SQLite connections:
 * it moves for another connection's commit and not for our own.
 */
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { FOLLOW_INTERVAL_MS, followDatabase } from '../../../electron/core/database-follower'
import { silentLogger } from '../../../electron/core/deps'
import { FakeClock } from '../../support/fake-clock'
import { makeTempDir } from '../../support/temp-dir'

describe('followDatabase', () => {
  it('syncs once per change of data_version, and again while a sync is not settled', () => {
    const clock = new FakeClock()
    let version = 1
    const syncs: number[] = []
    let settles = true
    const follower = followDatabase({ clock, readVersion: () => version, sync: () => (syncs.push(version), settles), logger: silentLogger })
    clock.advance(FOLLOW_INTERVAL_MS * 3)
    expect(syncs).toEqual([])
    version = 2
    clock.advance(FOLLOW_INTERVAL_MS)
    expect(syncs).toEqual([2])
    clock.advance(FOLLOW_INTERVAL_MS * 2)
    expect(syncs).toEqual([2])

    settles = false
    version = 3
    clock.advance(FOLLOW_INTERVAL_MS)
    clock.advance(FOLLOW_INTERVAL_MS)
    expect(syncs).toEqual([2, 3, 3])
    settles = true
    clock.advance(FOLLOW_INTERVAL_MS * 3)
    expect(syncs).toEqual([2, 3, 3, 3])
    expect(clock.pending).toBe(1)

    follower.stop()
    version = 4
    clock.advance(FOLLOW_INTERVAL_MS * 3)
    expect(syncs).toEqual([2, 3, 3, 3])
    expect(clock.pending).toBe(0)
  })

  it('keeps following after a read or a sync throws', () => {
    const clock = new FakeClock()
    let version = 1
    let failing = true
    const syncs: number[] = []
    const follower = followDatabase({
      clock,
      readVersion: () => {
        if (failing && version === 2) throw new Error('SQLITE_BUSY')
        return version
      },
      sync: () => (syncs.push(version), true),
      logger: silentLogger,
    })
    version = 2
    clock.advance(FOLLOW_INTERVAL_MS)
    expect(syncs).toEqual([])
    failing = false
    clock.advance(FOLLOW_INTERVAL_MS)
    expect(syncs).toEqual([2])
    follower.stop()
  })
})

describe('PRAGMA data_version (better-sqlite3, the detail the follower relies on)', () => {
  const temp = makeTempDir('dsd-data-version-')
  it('changes for a commit by another connection, not for our own', () => {
    const file = `${temp.dir}/db.sqlite`
    const ours = new Database(file)
    const theirs = new Database(file)
    try {
      ours.pragma('journal_mode = WAL')
      ours.exec('CREATE TABLE t (x INTEGER)')
      const version = () => Number(ours.pragma('data_version', { simple: true }))
      const start = version()
      ours.exec('INSERT INTO t VALUES (1)')
      expect(version()).toBe(start)
      theirs.exec('INSERT INTO t VALUES (2)')
      expect(version()).not.toBe(start)
    } finally {
      ours.close()
      theirs.close()
      temp.cleanup()
    }
  })
})
