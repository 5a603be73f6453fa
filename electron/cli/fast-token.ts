/**
 * The `token` fast path: scripts call it in loops (issue 6, Speed), so a valid cached token is
 * answered with one SQLite read and one keychain read, without the OAuth client, zod, migrations,
 * the renewal scheduler or any work for other datasources. Anything unusual (no token, due for
 * renewal, a database needing migration, a missing keychain entry) is left to the full path.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import type { AppError } from '../../shared/errors'
import { DatasourceRepository, type SecretPointer } from '../core/db/datasource-repository'
import { schemaMigrations } from '../core/db/schema'
import { DATABASE_FILE_NAME } from '../core/locations'
import { keychainAppError } from '../core/secrets/keychain-errors'
import { createKeytarSecretStore } from '../core/secrets/keytar-secret-store'
import { readBundleEntry } from '../core/token-bundle'
import { ACCESS_TOKEN_CHARS } from '../../shared/untrusted-text'
import { isFresh } from './freshness'

// require() rather than import: Node's ESM-to-CommonJS bridge costs this path about 10 ms (a
// third of its own time) to load better-sqlite3's dozen CommonJS files.
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3

export type CachedTokenResult =
  | { readonly kind: 'token'; readonly accessToken: string }
  | { readonly kind: 'error'; readonly error: AppError }
  /** The full path decides: it renews, migrates, or reports the error in the app's words. */
  | { readonly kind: 'full-path' }

export interface CachedTokenRequest {
  readonly dataDir: string
  readonly keychainService: string
  readonly name: string
  readonly now: number
}

export async function readCachedToken(request: CachedTokenRequest): Promise<CachedTokenResult> {
  const pointer = readFreshTokenPointer(request)
  if (!pointer) return { kind: 'full-path' }
  try {
    const secret = await createKeytarSecretStore(request.keychainService).get(pointer.account)
    // In a token bundle, the entry is this datasource's token; the rest is never used here.
    const value = secret && (pointer.entry === null ? secret.reveal() : readBundleEntry(secret.reveal(), pointer.entry))
    // A token stored before tokens were checked could hold a line break, which would inject a
    // header into `curl -H "$(datasource-desk header crm)"`: the full path renews it instead.
    return value && ACCESS_TOKEN_CHARS.test(value) ? { kind: 'token', accessToken: value } : { kind: 'full-path' }
  } catch (error) {
    // Renewing would need the same keychain: report it now instead of failing again later.
    return { kind: 'error', error: keychainAppError(error) }
  }
}

/** Where the named datasource's token is kept when it may be used as it is; null otherwise. */
function readFreshTokenPointer({ dataDir, name, now }: CachedTokenRequest): SecretPointer | null {
  let db: BetterSqlite3.Database | undefined
  try {
    // No mkdir, no migrations, no integrity check: a database this path cannot read as it is
    // goes to the full path, which opens it the careful way.
    db = new Database(join(dataDir, DATABASE_FILE_NAME), { fileMustExist: true, timeout: 5_000 })
    if (db.pragma('user_version', { simple: true }) !== schemaMigrations.length) return null
    const repo = new DatasourceRepository(db)
    const id = repo.idByName(name)
    if (!id || repo.get(id)?.auth.type !== 'oauth2-password') return null
    const token = repo.token(id)
    return token && isFresh(token, now) ? repo.secretPointer(id, 'access-token') : null
  } catch {
    return null
  } finally {
    db?.close()
  }
}
