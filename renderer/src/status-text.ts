/**
 * How a token status reads on screen: one short line for list rows, richer facts for the detail
 * panel. Pure (the time is passed in) so that it is tested without components.
 */
import { formatExpiry, formatRelative, severityOf, statusKind, statusLabels, type Severity, type StatusKind, type TokenStatus } from '../../shared/token'

export interface StatusSummary {
  readonly kind: StatusKind
  readonly severity: Severity
  readonly label: string
  /** The part after the label, e.g. "expires 14:32, in 59 min"; empty when there is nothing to add. */
  readonly detail: string
}

export function summarizeStatus(status: TokenStatus | undefined, now: number): StatusSummary {
  const kind: StatusKind = status ? statusKind(status, now) : 'not-connected'
  const expiresAt = status?.token?.expiresAt ?? null
  let detail = ''
  switch (kind) {
    case 'valid':
    case 'expiring-soon':
    case 'expired':
      detail = formatExpiry(expiresAt, now)
      break
    case 'renewing':
      detail = status?.token ? `current token ${formatExpiry(expiresAt, now)}` : 'requesting a token'
      break
    case 'retrying':
      detail = status?.nextAttemptAt != null ? `next attempt ${formatRelative(status.nextAttemptAt, now)}` : 'waiting to retry'
      break
    case 'action-needed':
      detail = status?.lastError?.message ?? 'open the datasource for details'
      break
    case 'sign-in-needed':
      detail = 'enter the password to get a new token'
      break
    case 'no-expiry':
      detail = 'the server gave no expiry'
      break
    case 'not-connected':
      detail = 'no token yet'
      break
  }
  return { kind, severity: severityOf(kind), label: statusLabels[kind], detail }
}

/**
 * The short form for dense list rows: the label and only what changes by the second ("in 59 min",
 * "next attempt in 4 s", "3 min ago"); the Overview says the rest.
 */
export function compactDetail(status: TokenStatus | undefined, summary: StatusSummary, now: number): string {
  const expiresAt = status?.token?.expiresAt ?? null
  switch (summary.kind) {
    case 'valid':
    case 'expiring-soon':
    case 'expired':
      return expiresAt === null ? '' : formatRelative(expiresAt, now)
    case 'retrying':
      return summary.detail
    default:
      return ''
  }
}

/** "Valid · expires 14:32, in 59 min": the one-line form of the status. */
export function statusLine(summary: StatusSummary): string {
  return summary.detail ? `${summary.label} · ${summary.detail}` : summary.label
}
