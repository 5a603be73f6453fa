/**
 * The facts the Overview states about a stored token, in words. Pure (the time is passed in) so
 * that every wording is unit tested without components.
 */
import type { HistoryEvent } from '../../shared/history'
import type { TokenMeta } from '../../shared/token'

/** "42:07" or "1:02:03" until expiry; "expired" once it passed. */
export function formatCountdown(expiresAt: number, now: number): string {
  const left = Math.floor((expiresAt - now) / 1000)
  if (left <= 0) return 'expired'
  const hours = Math.floor(left / 3600)
  const minutes = Math.floor((left % 3600) / 60)
  const seconds = left % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  return hours > 48 ? `${Math.floor(hours / 24)} days` : hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`
}

/** RFC 6749 5.1: a response without `scope` means the requested scope was granted. */
export function grantedScopeText(token: Pick<TokenMeta, 'grantedScope' | 'requestedScope'>): string {
  if (token.grantedScope === null) return token.requestedScope ? `${token.requestedScope} (as requested)` : 'none requested'
  return token.grantedScope || 'none granted'
}

/** The latest token request in the history (obtained or renewed), for "Last renewal". */
export function lastTokenEvent(history: ReadonlyArray<HistoryEvent>): HistoryEvent | undefined {
  let latest: HistoryEvent | undefined
  for (const event of history) {
    if ((event.kind === 'obtained' || event.kind === 'renewed') && (!latest || event.at > latest.at)) latest = event
  }
  return latest
}
