/**
 * Issue 11, item 10: under umask 022 the data folder was 0755, the database, -wal and -shm 0644,
 * and logs/ 0755. A real SQLite file in WAL mode and the real file logger, with the umask set as
 * a default desktop session has it; folders and files left by an older version are tightened.
 */
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DATABASE_FILE } from '../../../electron/core/core'
import { openDatabase } from '../../../electron/core/db/connection'
import { createFileLogger, LOG_FILE } from '../../../electron/core/file-logger'
import { makeTempDir } from '../../support/temp-dir'

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8)

let temp: ReturnType<typeof makeTempDir>
let previousUmask: number
beforeEach(() => {
  previousUmask = process.umask(0o022)
  temp = makeTempDir('dsd-permissions-')
})
afterEach(() => {
  process.umask(previousUmask)
  temp.cleanup()
})

describe.skipIf(process.platform === 'win32')('file permissions under umask 022 (mode bits mean nothing on Windows)', () => {
  it('a new data folder is 0700; the database, -wal and -shm 0600', () => {
    const dataDir = join(temp.dir, 'fresh', 'Datasource Desk')
    const file = join(dataDir, DATABASE_FILE)
    const db = openDatabase(file)
    try {
      db.exec('CREATE TABLE probe (x); INSERT INTO probe VALUES (1)')
      expect(modeOf(dataDir)).toBe('700')
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path), path).toBe('600')
    } finally {
      db.close()
    }
  })

  it('a folder and files left open by an older version are tightened', () => {
    const dataDir = join(temp.dir, 'old')
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    const file = join(dataDir, DATABASE_FILE)
    openDatabase(file).close()
    chmodSync(file, 0o644)
    for (const suffix of ['-wal', '-shm']) {
      writeFileSync(`${file}${suffix}`, '')
      chmodSync(`${file}${suffix}`, 0o644)
    }
    chmodSync(dataDir, 0o755)
    const db = openDatabase(file)
    try {
      expect(modeOf(dataDir)).toBe('700')
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path), path).toBe('600')
    } finally {
      db.close()
    }
  })

  it('logs/ is 0700 and the log file 0600, also when they existed before', () => {
    const logs = join(temp.dir, 'logs')
    createFileLogger(logs).info('first line')
    expect(modeOf(logs)).toBe('700')
    expect(modeOf(join(logs, LOG_FILE))).toBe('600')

    const oldLogs = join(temp.dir, 'old-logs')
    mkdirSync(oldLogs)
    chmodSync(oldLogs, 0o755)
    writeFileSync(join(oldLogs, LOG_FILE), '')
    chmodSync(join(oldLogs, LOG_FILE), 0o644)
    createFileLogger(oldLogs).info('a line')
    expect(modeOf(oldLogs)).toBe('700')
    expect(modeOf(join(oldLogs, LOG_FILE))).toBe('600')
  })
})
