/**
 * Follows commits that other processes (the CLI, a second core) make to the SQLite file. SQLite's
 * `PRAGMA data_version` changes only when another connection commits, so polling it is one cheap
 * read per tick and our own writes never wake the follower.
 */
import type { Clock, Logger, TimerHandle } from './deps'

/** How often the app looks for other processes' commits. */
export const FOLLOW_INTERVAL_MS = 1_500

export interface DatabaseFollowerOptions {
  readonly clock: Clock
  /** `db.pragma('data_version', { simple: true })` of the core's own connection. */
  readonly readVersion: () => number
  /**
   * Brings the core in step with the database. Returns false when something could not be taken
   * over yet (a renewal of ours in flight): then the next tick syncs again even without a commit.
   */
  readonly sync: () => boolean
  readonly logger: Logger
  readonly intervalMs?: number
}

export interface DatabaseFollower {
  stop(): void
}

export function followDatabase(options: DatabaseFollowerOptions): DatabaseFollower {
  const { clock, logger } = options
  const intervalMs = options.intervalMs ?? FOLLOW_INTERVAL_MS
  let seenVersion = options.readVersion()
  let settled = true
  let timer: TimerHandle | null = null
  let stopped = false

  const tick = (): void => {
    timer = null
    if (stopped) return
    try {
      const version = options.readVersion()
      if (version !== seenVersion || !settled) {
        seenVersion = version
        settled = options.sync()
      }
    } catch (error) {
      // A busy or failing read must not stop following; the next tick tries again.
      settled = false
      logger.warn('could not follow changes made by other processes', { error: error instanceof Error ? error.name : typeof error })
    }
    if (!stopped) timer = clock.setTimeout(tick, intervalMs)
  }

  timer = clock.setTimeout(tick, intervalMs)
  return {
    stop() {
      stopped = true
      if (timer !== null) clock.clearTimeout(timer)
      timer = null
    },
  }
}
