/**
 * The tray menu as plain data, computed from the status snapshot. electron/main only renders it
 * into an Electron Menu, so everything the user reads in the tray is unit-tested here.
 */
import {
  describeStatus,
  severityOf,
  statusKind,
  worstSeverity,
  type Severity,
  type StatusKind,
  type TokenStatus,
} from '../../shared/token'

export interface TrayEntry {
  readonly id: string
  readonly name: string
  readonly status: TokenStatus
}

export type TrayAction =
  | { readonly type: 'renew'; readonly datasourceId: string }
  | { readonly type: 'open'; readonly datasourceId?: string }
  | { readonly type: 'quit' }

export type TrayItem =
  /** One line per datasource: its name and status. Not clickable. */
  | { readonly kind: 'status'; readonly label: string; readonly datasourceId: string; readonly severity: Severity }
  | { readonly kind: 'action'; readonly label: string; readonly enabled: boolean; readonly action: TrayAction }
  /** Text only, e.g. the empty state. */
  | { readonly kind: 'info'; readonly label: string }
  | { readonly kind: 'separator' }

export interface TrayModel {
  /** The worst severity of all datasources: the tray icon. */
  readonly severity: Severity
  readonly tooltip: string
  readonly items: ReadonlyArray<TrayItem>
}

export const APP_NAME = 'Datasource Desk'
export const OPEN_LABEL = `Open ${APP_NAME}`
export const EMPTY_LABEL = 'No datasources yet'

/**
 * A native menu with thousands of entries is unusable and slow to build, so the tray shows the
 * datasources that most need the user (worst first) and counts the rest.
 */
export const TRAY_MAX_DATASOURCES = 12
const MAX_NAME_LENGTH = 40

const severityRank: Readonly<Record<Severity, number>> = { error: 0, attention: 1, ok: 2 }

export function buildTrayModel(entries: ReadonlyArray<TrayEntry>, now: number, locale?: string): TrayModel {
  const rows = entries.map((entry) => {
    const kind = statusKind(entry.status, now)
    return { entry, kind, severity: severityOf(kind) }
  })
  const severity = worstSeverity(rows.map((row) => row.severity))
  const shown = [...rows]
    .sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.entry.name.localeCompare(b.entry.name, locale))
    .slice(0, TRAY_MAX_DATASOURCES)

  const items: TrayItem[] = []
  if (rows.length === 0) items.push({ kind: 'info', label: EMPTY_LABEL })
  for (const { entry, kind, severity: rowSeverity } of shown) {
    items.push({
      kind: 'status',
      label: `${shorten(entry.name)} - ${describeStatus(entry.status, now, locale)}`,
      datasourceId: entry.id,
      severity: rowSeverity,
    })
    items.push(rowAction(entry.id, kind))
  }
  const hidden = rows.length - shown.length
  if (hidden > 0) items.push({ kind: 'info', label: `${hidden} more in the app` })
  items.push({ kind: 'separator' })
  items.push({ kind: 'action', label: OPEN_LABEL, enabled: true, action: { type: 'open' } })
  items.push({ kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } })

  return { severity, tooltip: tooltipOf(rows.map((row) => row.severity)), items }
}

function rowAction(datasourceId: string, kind: StatusKind): TrayItem {
  switch (kind) {
    case 'sign-in-needed':
      // Renewing cannot help without the password; the app asks for it.
      return { kind: 'action', label: 'Sign in...', enabled: true, action: { type: 'open', datasourceId } }
    default:
      return { kind: 'action', label: 'Renew now', enabled: kind !== 'renewing', action: { type: 'renew', datasourceId } }
  }
}

function tooltipOf(severities: ReadonlyArray<Severity>): string {
  if (severities.length === 0) return `${APP_NAME} - ${EMPTY_LABEL.toLowerCase()}`
  const errors = severities.filter((severity) => severity === 'error').length
  const attention = severities.filter((severity) => severity === 'attention').length
  const parts: string[] = []
  if (errors > 0) parts.push(`${errors} need${errors === 1 ? 's' : ''} action`)
  if (attention > 0) parts.push(`${attention} need${attention === 1 ? 's' : ''} attention`)
  if (parts.length === 0) {
    return `${APP_NAME} - ${severities.length === 1 ? 'token' : `all ${severities.length} tokens`} OK`
  }
  return `${APP_NAME} - ${parts.join(', ')}`
}

function shorten(name: string): string {
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH - 1)}…` : name
}
