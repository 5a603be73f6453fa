/**
 * The tray menu as plain data, computed from the status snapshot with the one status mapping
 * (shared/token-status.ts). electron/main only renders it into an Electron Menu, so everything the
 * user reads in the tray is unit-tested here.
 */
import type { Severity, TokenStatus } from '../../shared/token'
import { statusView, worstTone, type StatusTone, type StatusView } from '../../shared/token-status'

export interface TrayEntry {
  readonly id: string
  readonly name: string
  /** False for a datasource without authentication: no token, nothing to renew or to worry about. */
  readonly authenticated?: boolean
  readonly status: TokenStatus
}

export type TrayAction =
  | { readonly type: 'renew'; readonly datasourceId: string }
  /** Shows the window; with a datasource, opened on that datasource. */
  | { readonly type: 'open'; readonly datasourceId?: string }
  | { readonly type: 'quit' }

export type TrayItem =
  /** One submenu per datasource: its name and status, and its own actions inside. */
  | { readonly kind: 'datasource'; readonly label: string; readonly datasourceId: string; readonly tone: StatusTone; readonly items: ReadonlyArray<TrayItem> }
  | { readonly kind: 'action'; readonly label: string; readonly enabled: boolean; readonly action: TrayAction }
  /** Text only, e.g. the empty state or a status line inside a submenu. */
  | { readonly kind: 'info'; readonly label: string }
  | { readonly kind: 'separator' }

export interface TrayModel {
  /** The worst tone of all datasources (neutral ones ignored): the tray icon. */
  readonly severity: Severity
  /** Datasources that need attention: renewal failing or the token unusable. Never the auth-less or never-tested ones. */
  readonly attention: number
  readonly tooltip: string
  readonly items: ReadonlyArray<TrayItem>
}

export const APP_NAME = 'Datasource Desk'
export const OPEN_LABEL = `Open ${APP_NAME}`
export const EMPTY_LABEL = 'No datasources yet'
export const RENEW_LABEL = 'Renew now'
export const SIGN_IN_LABEL = 'Sign in...'
export const SHOW_LABEL = 'Show in window'

/**
 * A native menu with thousands of entries is unusable and slow to build, so the tray shows the
 * datasources that most need the user (worst first) and counts the rest.
 */
export const TRAY_MAX_DATASOURCES = 12
const MAX_NAME_LENGTH = 40

const toneRank: Readonly<Record<StatusTone, number>> = { error: 0, attention: 1, ok: 2, none: 3 }

export function buildTrayModel(entries: ReadonlyArray<TrayEntry>, now: number, locale?: string): TrayModel {
  const rows = entries.map((entry) => ({ entry, view: statusView({ status: entry.status, authenticated: entry.authenticated ?? true, viewer: 'scheduler' }, now, locale) }))
  const shown = [...rows]
    .sort((a, b) => toneRank[a.view.tone] - toneRank[b.view.tone] || a.entry.name.localeCompare(b.entry.name, locale))
    .slice(0, TRAY_MAX_DATASOURCES)

  const items: TrayItem[] = []
  if (rows.length === 0) items.push({ kind: 'info', label: EMPTY_LABEL })
  for (const { entry, view } of shown) {
    items.push({ kind: 'datasource', label: datasourceLabel(entry.name, view), datasourceId: entry.id, tone: view.tone, items: submenu(entry, view) })
  }
  const hidden = rows.length - shown.length
  if (hidden > 0) items.push({ kind: 'info', label: `${hidden} more in the app` })
  items.push({ kind: 'separator' })
  items.push({ kind: 'action', label: OPEN_LABEL, enabled: true, action: { type: 'open' } })
  items.push({ kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } })

  const views = rows.map((row) => row.view)
  return {
    severity: worstTone(views.map((view) => view.tone)),
    attention: views.filter(needsAttention).length,
    tooltip: tooltipOf(views),
    items,
  }
}

function needsAttention(view: StatusView): boolean {
  return view.tone === 'error' || view.tone === 'attention'
}

/** "CRM - Valid until 14:32", and what is wrong with renewal when something is. */
function datasourceLabel(name: string, view: StatusView): string {
  const troubled = view.renewal.kind === 'retrying' || view.renewal.kind === 'needs-user'
  return `${shorten(name)} - ${troubled ? view.line : view.usabilityText}`
}

function submenu(entry: TrayEntry, view: StatusView): TrayItem[] {
  const items: TrayItem[] = [{ kind: 'info', label: view.usabilityText }]
  if (view.renewal.kind === 'no-authentication') {
    items.push({ kind: 'separator' }, { kind: 'action', label: SHOW_LABEL, enabled: true, action: { type: 'open', datasourceId: entry.id } })
    return items
  }
  items.push({ kind: 'info', label: capitalized(view.renewalText) }, { kind: 'separator' })
  const needsPassword = view.renewal.kind === 'needs-user' && (view.renewal.reason === 'sign-in' || view.renewal.reason === 'password-rejected')
  if (needsPassword) {
    // Renewing cannot help without the password; the window asks for it, on this datasource.
    items.push({ kind: 'action', label: SIGN_IN_LABEL, enabled: true, action: { type: 'open', datasourceId: entry.id } })
  } else {
    items.push({ kind: 'action', label: RENEW_LABEL, enabled: view.renewal.kind !== 'renewing', action: { type: 'renew', datasourceId: entry.id } })
    items.push({ kind: 'action', label: SHOW_LABEL, enabled: true, action: { type: 'open', datasourceId: entry.id } })
  }
  return items
}

function tooltipOf(views: ReadonlyArray<StatusView>): string {
  if (views.length === 0) return `${APP_NAME} - ${EMPTY_LABEL.toLowerCase()}`
  const needYou = views.filter((view) => view.needsYou || view.tone === 'error').length
  const attention = views.filter(needsAttention).length - needYou
  const parts: string[] = []
  if (needYou > 0) parts.push(`${needYou} need${needYou === 1 ? 's' : ''} you`)
  if (attention > 0) parts.push(`${attention} need${attention === 1 ? 's' : ''} attention`)
  if (parts.length > 0) return `${APP_NAME} - ${parts.join(', ')}`
  const tokens = views.filter((view) => view.usability.kind === 'valid' || view.usability.kind === 'no-expiry').length
  if (tokens === 0) return `${APP_NAME} - no tokens yet`
  return `${APP_NAME} - ${tokens === 1 ? 'token' : `${tokens} tokens`} OK`
}

function capitalized(text: string): string {
  return text ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text
}

function shorten(name: string): string {
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH - 1)}…` : name
}
