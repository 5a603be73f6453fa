/**
 * A token bundle: the access and refresh tokens of many datasources in one keychain item. Every
 * write to gnome-keyring rewrites its whole keyring file, so a write costs time in proportion to
 * the number of items; one item for the tokens of up to MAX_BUNDLE_DATASOURCES renewals that
 * finish together keeps the keychain's writes per second from growing with the datasources
 * (bench/RESULTS.md). Each datasource's pointer in SQLite names the bundle's account and its
 * entry's key. This module is only the item's format; secret-vault.ts writes and releases bundles.
 */
import type { SecretKind } from './secrets/secret-store'

/** At most this many datasources share one bundle, so one refused write or lost item costs few. */
export const MAX_BUNDLE_DATASOURCES = 64

/**
 * At most this many UTF-8 bytes in one bundle (one datasource's tokens may exceed it alone: it then
 * goes in a bundle of its own). Far below what libsecret and D-Bus carry in one message, small
 * enough that rewriting it stays cheap; on Windows the parts layer splits any item over 2560 bytes.
 */
export const MAX_BUNDLE_BYTES = 64 * 1024

const FORMAT = 1

/** The key of a datasource's token inside a bundle. */
export const bundleEntryKey = (datasourceId: string, kind: SecretKind): string => `${datasourceId}/${kind}`

/** The item's text: `{"bundle":1,"entries":{"<datasource id>/<kind>":"<token>",...}}`. */
export function encodeBundle(entries: ReadonlyMap<string, string>): string {
  return JSON.stringify({ bundle: FORMAT, entries: Object.fromEntries(entries) })
}

/** The bytes an entry adds to a bundle (close enough for the bound: JSON escapes are rare in tokens). */
export const bundleEntryBytes = (key: string, value: string): number => Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8') + 6

/**
 * The value of one entry of a bundle item; null when the item is not a bundle or lacks the entry
 * (the caller treats it as a missing secret and renews or asks again, never guesses).
 */
export function readBundleEntry(text: string, key: string): string | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const { bundle, entries } = parsed as { bundle?: unknown; entries?: unknown }
  if (bundle !== FORMAT || typeof entries !== 'object' || entries === null) return null
  const value = Object.prototype.hasOwnProperty.call(entries, key) ? (entries as Record<string, unknown>)[key] : undefined
  return typeof value === 'string' && value.length > 0 ? value : null
}
