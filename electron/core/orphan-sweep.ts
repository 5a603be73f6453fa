/**
 * When the app removes keychain entries no datasource owns (left by a crash or a killed command).
 * At once, the cheap part: the entries SQLite records as released or abandoned (SecretVault.drain,
 * no listing), so that what a killed process or an exited command left marked does not wait for
 * the listing. Once after start, late enough not to hold up start-up renewals and the window's
 * first keychain calls, the sweep (SecretVault.sweep: lists this database's entries). A command
 * never sweeps: it must exit as soon as its work is done.
 */
import type { Clock, Logger } from './deps'

export interface OrphanSweepOptions {
  /** Deletes what SQLite records as released or abandoned; never rejects. */
  readonly drain: () => Promise<void>
  readonly sweep: () => Promise<number>
  readonly clock: Clock
  /** 0 or absent: at once (CoreDeps.sweepDelayMs). */
  readonly delayMs: number | undefined
  readonly logger: Logger
}

export interface ScheduledSweep {
  /** Cancels a sweep that has not started yet. */
  stop(): void
}

export function scheduleOrphanSweep({ drain, sweep, clock, delayMs, logger }: OrphanSweepOptions): ScheduledSweep {
  let stopped = false
  void drain()
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
