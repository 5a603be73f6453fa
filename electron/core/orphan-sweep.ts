/**
 * When the app sweeps the keychain for entries no datasource owns (left by a crash or a killed
 * command): once after start, late enough not to hold up start-up renewals and the window's first
 * keychain calls. The sweep itself is SecretVault.sweep (only this database's entries). A command
 * never sweeps: it must exit as soon as its work is done.
 */
import type { Clock, Logger } from './deps'

export interface OrphanSweepOptions {
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

export function scheduleOrphanSweep({ sweep, clock, delayMs, logger }: OrphanSweepOptions): ScheduledSweep {
  let stopped = false
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
