import { appendFileSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from './deps'
import { ensurePrivateDir, tightenFile } from './private-files'

/** One log file is kept up to this size, plus one older generation. */
const MAX_LOG_BYTES = 1024 * 1024

export const LOG_FILE = 'datasource-desk.log'

/**
 * Appends JSON lines to `<dir>/datasource-desk.log`. Callers pass messages and fields that hold no
 * secret (secrets travel as `Secret`, whose JSON form is "[redacted]"); this logger adds nothing
 * but the time and level. Logging must never break the app, so write errors are swallowed.
 */
export function createFileLogger(dir: string, now: () => number = Date.now): Logger {
  const file = join(dir, LOG_FILE)
  let ready = false

  function write(level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>): void {
    try {
      if (!ready) {
        ensurePrivateDir(dir)
        tightenFile(file)
        ready = true
      }
      rotateIfLarge(file)
      appendFileSync(file, `${JSON.stringify({ at: new Date(now()).toISOString(), level, message, ...fields })}\n`, { mode: 0o600 })
    } catch {
      // A full disk or a read-only folder must not take the app down with it.
    }
  }

  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  }
}

function rotateIfLarge(file: string): void {
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`)
  } catch {
    // No file yet.
  }
}
