/**
 * When the app removes keychain entries no datasource owns (left by a crash or a killed command).
 * At once, the cheap part: the entries SQLite records as released or abandoned (SecretVault.drain,
 * no listing), so that what a killed process or an exited command left marked does not wait for
 * the listing. Then, late enough not to hold up start-up renewals and the window's first keychain
 * calls, the sweep (SecretVault.sweep: lists this database's entries), only when it may find
 * something SQLite does not know of: after a process died with a write in progress, and otherwise
 * once a week. A listing holds the keychain alone for seconds with many datasources (1.9 s with
 * 500, bench/RESULTS.md), time in which short-lived tokens lapse. A command
 * never sweeps: it must exit as soon as its work is done.
 *
 * The app stays open for weeks in the tray, so the same check runs again every hour while it
 * runs: a drain (a SQLite read when nothing is marked), and a sweep when one is due by the rules
 * above or the last one failed (a locked keychain, or a command deleting during the listing).
 */
import type { Clock, Logger, TimerHandle } from './deps'

/** The longest time between two sweeps of a database. */
export const SWEEP_INTERVAL_MS = 7 * 24 * 60 * 60_000

/** How often a running app checks again whether to drain or sweep. */
export const MAINTENANCE_INTERVAL_MS = 60 * 60_000

export interface OrphanSweepOptions {
  /** Deletes what SQLite records as released or abandoned; never rejects. */
  readonly drain: () => Promise<void>
  readonly sweep: () => Promise<number>
  /** When the last sweep completed (null: never). */
  readonly lastSweepAt: () => number | null
  /** Whether a process died with a keychain write in progress (read before the drain forgets it). */
  readonly hasAbandonedWrites: () => boolean
  readonly clock: Clock
  /** 0 or absent: at once (CoreDeps.sweepDelayMs). */
  readonly delayMs: number | undefined
  readonly logger: Logger
}

export interface ScheduledSweep {
  /** Cancels a sweep that has not started yet. */
  stop(): void
}

export function scheduleOrphanSweep({ drain, sweep, lastSweepAt, hasAbandonedWrites, clock, delayMs, logger }: OrphanSweepOptions): ScheduledSweep {
  let stopped = false
  let lastSweepFailed = false
  let timer: TimerHandle | null = null
  const later = (work: () => void, ms: number) => {
    if (!stopped) timer = clock.setTimeout(work, ms)
  }
  const checkLater = () => later(check, MAINTENANCE_INTERVAL_MS)
  // Read before the drain, which forgets the abandoned writes it cleans up.
  const sweepDue = () => {
    const last = lastSweepAt()
    return lastSweepFailed || hasAbandonedWrites() || last === null || clock.now() - last >= SWEEP_INTERVAL_MS
  }
  // The sweep needs the keychain; an unavailable one must not stop the app from starting.
  const runSweep = () => {
    if (stopped) return
    sweep().then(
      (removed) => {
        lastSweepFailed = false
        if (removed > 0) logger.info('removed keychain entries that no datasource owns', { removed })
      },
      (error: unknown) => {
        lastSweepFailed = true
        // The error's name only: a keychain message may quote an account.
        logger.warn('orphan sweep failed; it is tried again within the hour', { error: error instanceof Error ? error.name : typeof error })
      },
    ).finally(checkLater)
  }
  const check = () => {
    if (stopped) return
    let due: boolean
    try {
      due = sweepDue()
    } catch (error) {
      // A database that cannot be read now (busy, or a disk error) is asked again in an hour.
      logger.warn('keychain clean-up check failed; it is tried again within the hour', { error: error instanceof Error ? error.name : typeof error })
      checkLater()
      return
    }
    void drain().then(() => (due ? runSweep() : checkLater()))
  }

  const dueAtStart = sweepDue()
  void drain()
  if (!dueAtStart) checkLater()
  else if (delayMs) later(runSweep, delayMs)
  else runSweep()
  return {
    stop() {
      stopped = true
      if (timer !== null) clock.clearTimeout(timer)
    },
  }
}
