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
 */
import type { Clock, Logger } from './deps'

/** The longest time between two sweeps of a database. */
export const SWEEP_INTERVAL_MS = 7 * 24 * 60 * 60_000

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
  const last = lastSweepAt()
  const needed = hasAbandonedWrites() || last === null || clock.now() - last >= SWEEP_INTERVAL_MS
  void drain()
  if (!needed) return { stop() {} }
  // The sweep needs the keychain; an unavailable one must not stop the app from starting.
  const run = () => {
    if (stopped) return
    sweep().then(
      (removed) => removed > 0 && logger.info('removed keychain entries that no datasource owns', { removed }),
      // The error's name only: a keychain message may quote an account.
      (error: unknown) => logger.warn('orphan sweep failed; the next start-up retries', { error: error instanceof Error ? error.name : typeof error }),
    )
  }
  const timer = delayMs ? clock.setTimeout(run, delayMs) : null
  if (timer === null) run()
  return {
    stop() {
      stopped = true
      if (timer !== null) clock.clearTimeout(timer)
    },
  }
}
