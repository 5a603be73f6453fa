/**
 * How a token status reads on screen: one short line for list rows, richer facts for the detail
 * panel. The words and the colour come from the one status mapping (shared/token-status.ts); this
 * only picks what a row has room for. Pure (the time is passed in) so that it is tested without
 * components.
 */
import { formatRelative, notConnected, type StatusKind, type TokenStatus } from '../../shared/token'
import { statusView, type StatusTone, type StatusView } from '../../shared/token-status'

export interface StatusSummary {
  /** The one-word kind of earlier versions, kept as data-kind for tests and styling hooks. */
  readonly kind: StatusKind
  readonly tone: StatusTone
  /** Usability: "Valid until 14:32", "Expired 08:12", "Not connected". */
  readonly label: string
  /** Renewal health: "renews 14:20 (in 47 min)", "renewal failing: password rejected". */
  readonly detail: string
  readonly view: StatusView
}

/** The status as the running app sees it: its scheduler makes every renewal and retry shown. */
export function summarizeStatus(status: TokenStatus | undefined, now: number, authenticated = true): StatusSummary {
  const view = statusView({ status: status ?? notConnected('', now), authenticated, viewer: 'scheduler' }, now)
  return { kind: view.legacyKind, tone: view.tone, label: view.usabilityText, detail: view.renewalText, view }
}

/**
 * The short form for dense list rows, after the one-word usability ("Valid", "No token"): what is
 * wrong with renewal when something is ("password rejected", "retrying in 12 s"), otherwise only
 * what changes by the second ("in 59 min", "3 min ago"). The row's title and the Overview carry
 * the whole sentence.
 */
export function compactDetail(summary: StatusSummary, now: number): string {
  const { usability, renewal } = summary.view
  if (renewal.kind === 'retrying') {
    return renewal.nextAttemptAt !== null && renewal.nextAttemptAt > now ? `retrying ${formatRelative(renewal.nextAttemptAt, now)}` : 'retrying now'
  }
  if (renewal.kind === 'needs-user' || renewal.kind === 'renewing') return summary.view.renewalWord
  if (usability.kind === 'valid' || usability.kind === 'expired') return formatRelative(usability.expiresAt, now)
  return ''
}

/** "Valid until 14:32 · renews 14:20 (in 47 min)": the one-line form of the status. */
export function statusLine(summary: StatusSummary): string {
  return summary.detail ? `${summary.label} · ${summary.detail}` : summary.label
}
