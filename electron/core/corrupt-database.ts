import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { DATABASE_FILE } from './core'

const SIDE_FILES = ['-wal', '-shm'] as const

/**
 * Moves a damaged database out of the way so that the app can start with a fresh one, keeping
 * every byte: `datasource-desk.sqlite` (and its -wal/-shm) become
 * `datasource-desk.corrupt-<timestamp>.sqlite` (-wal/-shm) in the same folder. Never deletes and
 * never overwrites. Returns the new paths. Only called after the user chose "Move aside".
 */
export function moveCorruptDatabaseAside(dataDir: string, now: Date = new Date()): string[] {
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const base = DATABASE_FILE.replace(/\.sqlite$/, '')
  let target = ''
  for (let attempt = 1; ; attempt++) {
    target = join(dataDir, `${base}.corrupt-${stamp}${attempt > 1 ? `-${attempt}` : ''}.sqlite`)
    if (['', ...SIDE_FILES].every((suffix) => !existsSync(`${target}${suffix}`))) break
  }
  const source = join(dataDir, DATABASE_FILE)
  const moved: string[] = []
  // The -wal first: left behind next to a fresh database, SQLite would replay the old pages into
  // it. If we stop half-way the damaged main file is still there, so the next start asks again.
  for (const suffix of [...SIDE_FILES, '']) {
    if (!existsSync(`${source}${suffix}`)) continue
    renameSync(`${source}${suffix}`, `${target}${suffix}`)
    moved.push(`${target}${suffix}`)
  }
  return moved
}
