/**
 * One policy for a `renewing` state found in SQLite (issue 12, item 6). A process stores
 * `renewing` when it starts a token request and something else when it ends; a process killed or
 * closed in between leaves `renewing` behind for good. Such a state is true only while its
 * renewal runs somewhere, which the renewal lease says: a lease that has not expired, held by a
 * process that still exists. Without one, nobody will finish the renewal and the state reads as
 * idle. The app's start-up, the scheduler's loads of datasources other processes added, a
 * command's core, and the command's `list`/`status` all decide with these two functions.
 */
import type { RenewalState } from '../../shared/token'
import { holderGone } from './process-holder'

export interface StoredLease {
  readonly holder: string
  readonly expiresAt: number
}

/** Whether a lease still stands: not expired, and its holder's process has not gone away. */
export function leaseIsLive(lease: StoredLease | null | undefined, now: number, isGone: (holder: string) => boolean = holderGone): boolean {
  return !!lease && lease.expiresAt > now && !isGone(lease.holder)
}

/**
 * The renewal state to believe: a stored `renewing` stays `renewing` only while a live lease
 * stands for it (some process is renewing right now); otherwise it is a leftover, read as idle.
 * `lease` is read only for a `renewing` state.
 */
export function believedRenewalState(
  stored: RenewalState | undefined,
  lease: () => StoredLease | null,
  now: number,
  isGone: (holder: string) => boolean = holderGone,
): RenewalState {
  if (stored === undefined) return 'idle'
  if (stored !== 'renewing') return stored
  return leaseIsLive(lease(), now, isGone) ? 'renewing' : 'idle'
}
