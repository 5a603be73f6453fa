/**
 * Where the core keeps a datasource's secrets, read the way the core reads them: SQLite names the
 * current keychain account (accounts are versioned, see electron/core/secret-vault.ts), the
 * keychain holds the value. Opens its own short-lived read-only connection to the data folder.
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../../electron/core/core'
import type { SecretKind, SecretStore } from '../../electron/core/secrets/secret-store'
import { readBundleEntry } from '../../electron/core/token-bundle'

function withDatabase<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

/** The keychain account that holds this secret now; null when none is stored. */
export function storedAccount(dataDir: string, datasourceId: string, kind: SecretKind): string | null {
  return withDatabase(dataDir, (db) => {
    const row = db.prepare('SELECT account FROM secret_accounts WHERE datasource_id = ? AND kind = ?').get(datasourceId, kind) as { account: string } | undefined
    return row?.account ?? null
  })
}

/** The secret's pointer: its account, and its entry's key when the account is a token bundle. */
export function storedPointer(dataDir: string, datasourceId: string, kind: SecretKind): { account: string; entry: string | null } | null {
  return withDatabase(dataDir, (db) => {
    const row = db.prepare('SELECT account, entry FROM secret_accounts WHERE datasource_id = ? AND kind = ?').get(datasourceId, kind) as
      | { account: string; entry: string | null }
      | undefined
    return row ?? null
  })
}

/** Every keychain account some datasource of this database points to (token bundles included). */
export function pointedAccounts(dataDir: string): Set<string> {
  return withDatabase(dataDir, (db) => new Set(db.prepare('SELECT account FROM secret_accounts').pluck().all() as string[]))
}

/** The secret's current value as text; null when none is stored (or its entry is gone). */
export async function storedSecret(dataDir: string, store: SecretStore, datasourceId: string, kind: SecretKind): Promise<string | null> {
  const pointer = storedPointer(dataDir, datasourceId, kind)
  if (pointer === null) return null
  const value = (await store.get(pointer.account))?.reveal() ?? null
  return value === null || pointer.entry === null ? value : readBundleEntry(value, pointer.entry)
}

/** The id this database's keychain account names carry. */
export function databaseIdOf(dataDir: string): string {
  return withDatabase(dataDir, (db) => (db.prepare('SELECT id FROM database_identity').get() as { id: string }).id)
}
