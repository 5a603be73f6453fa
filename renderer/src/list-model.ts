/**
 * What the list pane shows: which group a datasource is in ("needs you", "working", "idle"), the
 * text a search matches, and the three sort orders. Pure (the time is passed in) so that it is
 * tested without components.
 */
import type { DatasourceView } from '../../shared/datasource'
import type { TokenStatus } from '../../shared/token'
import { statusView } from '../../shared/token-status'
import { urlHost } from '../../shared/url-parts'

export type ListFilter = 'all' | 'needs-you' | 'working' | 'idle'
export type ListSort = 'name' | 'state' | 'expiry'

export const filterLabels: Readonly<Record<ListFilter, string>> = {
  all: 'All',
  'needs-you': 'Need you',
  working: 'Working',
  idle: 'Idle',
}

export const sortLabels: Readonly<Record<ListSort, string>> = {
  name: 'Name',
  state: 'State',
  expiry: 'Expiry',
}

export type ListGroup = Exclude<ListFilter, 'all'>

/** The group of one datasource. Without authentication or never tested it is "idle", never "needs you". */
export function groupOf(datasource: DatasourceView, status: TokenStatus, now: number): ListGroup {
  const view = statusView({ status, authenticated: datasource.auth.type !== 'none', viewer: 'scheduler' }, now)
  // Needs you: renewal stopped for the user, or the token is gone and nothing is bringing it back.
  if (view.needsYou || view.tone === 'error') return 'needs-you'
  return view.renewal.kind === 'not-started' || view.renewal.kind === 'no-authentication' ? 'idle' : 'working'
}

/** The host that issues the tokens, the part that tells two datasources of one user apart. */
export function tokenHost(datasource: DatasourceView): string {
  if (datasource.auth.type === 'none') return urlHost(datasource.url, '')
  return urlHost(datasource.auth.tokenUrl, '')
}

/** "ana@auth.example.com" for OAuth, the API host otherwise. */
export function rowSubtitle(datasource: DatasourceView): string {
  const host = tokenHost(datasource)
  if (datasource.auth.type === 'none') return host ? `No authentication · ${host}` : 'No authentication'
  return host ? `${datasource.auth.username} @ ${host}` : datasource.auth.username
}

function searchText(datasource: DatasourceView): string {
  const auth = datasource.auth
  const parts = [datasource.name, datasource.url]
  if (auth.type === 'oauth2-password') parts.push(auth.username, auth.clientId, auth.tokenUrl)
  return parts.join('\n').toLocaleLowerCase()
}

/** Every word of the query must appear somewhere in the name, URL, user, client id or token URL. */
export function matchesQuery(datasource: DatasourceView, query: string): boolean {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return true
  const text = searchText(datasource)
  return words.every((word) => text.includes(word))
}

const groupRank: Readonly<Record<ListGroup, number>> = { 'needs-you': 0, working: 1, idle: 2 }

const byName = (a: DatasourceView, b: DatasourceView): number => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })

export interface ListEntry {
  readonly datasource: DatasourceView
  readonly status: TokenStatus
  readonly group: ListGroup
}

/** Sorts entries: by name; by state (needs you first, then working, then idle); by expiry (soonest first, unknown last). */
export function sortEntries(entries: ReadonlyArray<ListEntry>, sort: ListSort): ListEntry[] {
  const sorted = [...entries]
  if (sort === 'name') return sorted.sort((a, b) => byName(a.datasource, b.datasource))
  if (sort === 'state') return sorted.sort((a, b) => groupRank[a.group] - groupRank[b.group] || byName(a.datasource, b.datasource))
  const expiry = (entry: ListEntry) => entry.status.token?.expiresAt ?? Number.POSITIVE_INFINITY
  return sorted.sort((a, b) => expiry(a) - expiry(b) || byName(a.datasource, b.datasource))
}

export function countByFilter(entries: ReadonlyArray<ListEntry>): Record<ListFilter, number> {
  const counts: Record<ListFilter, number> = { all: entries.length, 'needs-you': 0, working: 0, idle: 0 }
  for (const entry of entries) counts[entry.group] += 1
  return counts
}
