import type { AuthView, ClientAuthMethod, DiscoveredServer, ExtraParam } from '../../../shared/datasource'
import { asDatasourceId, type DatasourceId } from '../../../shared/ids'
import type { PresetId } from '../../../shared/presets'
import type { AppError } from '../../../shared/errors'
import type { HistoryEvent, HistoryKind } from '../../../shared/history'
import type { ExpirySource, IdTokenCheck, RenewalState, TokenMeta } from '../../../shared/token'
import type { SecretKind } from '../secrets/secret-store'
import type { Db } from './connection'
import { leaseIsLive, type StoredLease } from '../leftover-renewing'

/** A datasource as stored: everything but secrets (those are in the keychain). */
export interface DatasourceRecord {
  readonly id: DatasourceId
  readonly name: string
  readonly url: string
  readonly auth: AuthView
  /** The configuration revision: bumped by every save that changes what the token depends on. */
  readonly revision: number
  readonly createdAt: number
  readonly updatedAt: number
}

/** Where a secret is kept: a keychain account of its own (entry null) or an entry of a token bundle. */
export interface SecretPointer {
  readonly account: string
  readonly entry: string | null
}

/** A keychain entry written but not yet pointed to by a committed row (see secret-vault.ts). */
export interface SecretWriteRecord {
  readonly account: string
  readonly holder: string
  readonly startedAt: number
}

export interface RenewalStateRecord {
  readonly state: RenewalState
  readonly attempt: number
  readonly nextAttemptAt: number | null
  readonly lastError: AppError | null
  readonly updatedAt: number
}

export type NewHistoryEvent = Omit<HistoryEvent, 'id' | 'datasourceId'>

/** History kept per datasource; older events are dropped. */
export const HISTORY_LIMIT = 100

interface DatasourceRow {
  id: string
  name: string
  url: string
  auth_type: 'none' | 'oauth2-password'
  token_url: string | null
  client_id: string | null
  client_auth: string | null
  username: string | null
  remember_password: number
  scope: string
  extra_params: string
  has_client_secret: number
  has_password: number
  config_revision: number
  created_at: number
  updated_at: number
  issuer: string
  discovery: string | null
  preset: string
}

interface TokenRow {
  datasource_id: string
  token_type: string
  granted_scope: string | null
  requested_scope: string
  obtained_at: number
  expires_at: number | null
  has_refresh_token: number
  expires_from: ExpirySource | null
  id_token: IdTokenCheck | null
  refresh_rejected_at: number | null
}

interface RenewalStateRow {
  datasource_id: string
  state: RenewalState
  attempt: number
  next_attempt_at: number | null
  last_error: string | null
  updated_at: number
}

interface HistoryRow {
  id: number
  datasource_id: string
  at: number
  kind: HistoryKind
  message: string
  grant_type: 'password' | 'refresh_token' | null
  attempt: number | null
  error: string | null
}

function toRecord(row: DatasourceRow): DatasourceRecord {
  const auth: AuthView =
    row.auth_type === 'none'
      ? { type: 'none' }
      : {
          type: 'oauth2-password',
          tokenUrl: row.token_url ?? '',
          clientId: row.client_id ?? '',
          clientAuth: (row.client_auth ?? 'basic') as ClientAuthMethod,
          username: row.username ?? '',
          rememberPassword: row.remember_password === 1,
          scope: row.scope,
          extraParams: JSON.parse(row.extra_params) as ExtraParam[],
          hasClientSecret: row.has_client_secret === 1,
          hasPassword: row.has_password === 1,
          // Only when set, so that views of datasources without them stay as they were.
          ...(row.issuer ? { issuer: row.issuer } : {}),
          ...(row.discovery ? { discovery: parseDiscovery(row.discovery) } : {}),
          ...(row.preset && row.preset !== 'other' ? { preset: row.preset as PresetId } : {}),
        }
  return { id: asDatasourceId(row.id), name: row.name, url: row.url, auth, revision: row.config_revision, createdAt: row.created_at, updatedAt: row.updated_at }
}

function parseDiscovery(text: string): DiscoveredServer | null {
  try {
    return JSON.parse(text) as DiscoveredServer
  } catch {
    return null
  }
}

function toTokenMeta(row: TokenRow): TokenMeta {
  return {
    tokenType: row.token_type,
    grantedScope: row.granted_scope,
    requestedScope: row.requested_scope,
    obtainedAt: row.obtained_at,
    expiresAt: row.expires_at,
    hasRefreshToken: row.has_refresh_token === 1,
    ...(row.expires_from ? { expiresFrom: row.expires_from } : {}),
    ...(row.id_token ? { idToken: row.id_token } : {}),
    ...(row.refresh_rejected_at !== null ? { refreshRejectedAt: row.refresh_rejected_at } : {}),
  }
}

function parseError(text: string | null): AppError | null {
  if (!text) return null
  try {
    return fromStoredError(JSON.parse(text) as AppError)
  } catch {
    return null
  }
}

/**
 * Before sign-in-needed had its own kind it was stored as `oauth`/`sign-in-needed`; read such a
 * row as the kind it is now, so that every reader sees one shape (the words are the same).
 */
function fromStoredError(error: AppError): AppError {
  const { kind, code } = error as { kind: string; code: string }
  if (kind !== 'oauth' || code !== 'sign-in-needed') return error
  const refreshRejected = error.message.startsWith('The refresh token')
  return { ...error, kind: 'sign-in-needed', code: refreshRejected ? 'refresh-token-rejected' : 'no-password' }
}

/** Keeps only what may be stored about an error: no free-form fields that could echo a secret. */
function storableError(error: AppError | null | undefined): string | null {
  if (!error) return null
  const { kind, code, message, hint, cliHint, httpStatus, errorDescription, errorUri, transient } = error
  return JSON.stringify({ kind, code, message, hint, cliHint, httpStatus, errorDescription, errorUri, transient })
}

/** All SQLite access for datasources, their token metadata, renewal state and history. */
export class DatasourceRepository {
  readonly #db: Db
  readonly #statements

  constructor(db: Db) {
    this.#db = db
    this.#statements = {
      all: db.prepare<[], DatasourceRow>('SELECT * FROM datasources ORDER BY name COLLATE NOCASE'),
      byId: db.prepare<[string], DatasourceRow>('SELECT * FROM datasources WHERE id = ?'),
      idByName: db.prepare<[string], { id: string }>('SELECT id FROM datasources WHERE name = ? COLLATE NOCASE'),
      ids: db.prepare<[], { id: string }>('SELECT id FROM datasources'),
      upsert: db.prepare(`
        INSERT INTO datasources (id, name, url, auth_type, token_url, client_id, client_auth, username,
          remember_password, scope, extra_params, has_client_secret, has_password, config_revision, created_at, updated_at, issuer, discovery, preset)
        VALUES (@id, @name, @url, @auth_type, @token_url, @client_id, @client_auth, @username,
          @remember_password, @scope, @extra_params, @has_client_secret, @has_password, @config_revision, @created_at, @updated_at, @issuer, @discovery, @preset)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url, auth_type = excluded.auth_type,
          token_url = excluded.token_url, client_id = excluded.client_id, client_auth = excluded.client_auth,
          username = excluded.username, remember_password = excluded.remember_password, scope = excluded.scope,
          extra_params = excluded.extra_params, has_client_secret = excluded.has_client_secret,
          has_password = excluded.has_password, config_revision = excluded.config_revision, updated_at = excluded.updated_at,
          issuer = excluded.issuer, discovery = excluded.discovery, preset = excluded.preset`),
      revision: db.prepare<[string], { config_revision: number }>('SELECT config_revision FROM datasources WHERE id = ?'),
      databaseId: db.prepare<[], { id: string }>('SELECT id FROM database_identity'),
      lastSweepAt: db.prepare<[], { last_sweep_at: number | null }>('SELECT last_sweep_at FROM database_identity'),
      recordSweep: db.prepare('UPDATE database_identity SET last_sweep_at = ?'),
      secretAccount: db.prepare<[string, string], { account: string; entry: string | null }>(
        'SELECT account, entry FROM secret_accounts WHERE datasource_id = ? AND kind = ?',
      ),
      secretAccountPointed: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM secret_accounts WHERE account = ? LIMIT 1'),
      secretWrite: db.prepare<[string], { account: string; holder: string; started_at: number }>('SELECT account, holder, started_at FROM secret_writes WHERE account = ?'),
      secretAccounts: db.prepare<[string], { kind: SecretKind; account: string }>('SELECT kind, account FROM secret_accounts WHERE datasource_id = ?'),
      allSecretAccounts: db.prepare<[], { account: string }>('SELECT account FROM secret_accounts'),
      putSecretAccount: db.prepare('INSERT OR REPLACE INTO secret_accounts (datasource_id, kind, account, entry) VALUES (?, ?, ?, ?)'),
      removeSecretAccount: db.prepare('DELETE FROM secret_accounts WHERE datasource_id = ? AND kind = ?'),
      addSecretWrite: db.prepare('INSERT INTO secret_writes (account, holder, started_at) VALUES (?, ?, ?)'),
      clearSecretWrite: db.prepare('DELETE FROM secret_writes WHERE account = ?'),
      markSecretForDeletion: db.prepare(
        'INSERT INTO secret_writes (account, holder, started_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at',
      ),
      secretWrites: db.prepare<[], { account: string; holder: string; started_at: number }>('SELECT account, holder, started_at FROM secret_writes'),
      setHasPassword: db.prepare('UPDATE datasources SET has_password = ?, remember_password = ?, updated_at = ? WHERE id = ?'),
      delete: db.prepare('DELETE FROM datasources WHERE id = ?'),
      token: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE datasource_id = ?'),
      allTokens: db.prepare<[], TokenRow>('SELECT * FROM tokens'),
      upsertToken: db.prepare(`
        INSERT INTO tokens (datasource_id, token_type, granted_scope, requested_scope, obtained_at, expires_at, has_refresh_token,
          expires_from, id_token, refresh_rejected_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (datasource_id) DO UPDATE SET token_type = excluded.token_type, granted_scope = excluded.granted_scope,
          requested_scope = excluded.requested_scope, obtained_at = excluded.obtained_at, expires_at = excluded.expires_at,
          has_refresh_token = excluded.has_refresh_token, expires_from = excluded.expires_from, id_token = excluded.id_token,
          refresh_rejected_at = excluded.refresh_rejected_at`),
      markRefreshRejected: db.prepare('UPDATE tokens SET refresh_rejected_at = ? WHERE datasource_id = ? AND obtained_at = ? AND has_refresh_token = 1'),
      deleteToken: db.prepare('DELETE FROM tokens WHERE datasource_id = ?'),
      state: db.prepare<[string], RenewalStateRow>('SELECT * FROM renewal_state WHERE datasource_id = ?'),
      allStates: db.prepare<[], RenewalStateRow>('SELECT * FROM renewal_state'),
      upsertState: db.prepare(`
        INSERT INTO renewal_state (datasource_id, state, attempt, next_attempt_at, last_error, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (datasource_id) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,
          next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, updated_at = excluded.updated_at`),
      addHistory: db.prepare(`
        INSERT INTO history (datasource_id, at, kind, message, grant_type, attempt, error) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      trimHistory: db.prepare(`
        DELETE FROM history WHERE datasource_id = ? AND id NOT IN (
          SELECT id FROM history WHERE datasource_id = ? ORDER BY id DESC LIMIT ${HISTORY_LIMIT})`),
      history: db.prepare<[string], HistoryRow>('SELECT * FROM history WHERE datasource_id = ? ORDER BY id DESC'),
      lease: db.prepare<[string], { holder: string; expires_at: number }>('SELECT holder, expires_at FROM renewal_leases WHERE datasource_id = ?'),
      putLease: db.prepare('INSERT OR REPLACE INTO renewal_leases (datasource_id, holder, expires_at) VALUES (?, ?, ?)'),
      releaseLease: db.prepare('DELETE FROM renewal_leases WHERE datasource_id = ? AND holder = ?'),
      extendLease: db.prepare('UPDATE renewal_leases SET expires_at = ? WHERE datasource_id = ? AND holder = ?'),
    }
  }

  list(): DatasourceRecord[] {
    return this.#statements.all.all().map(toRecord)
  }

  get(id: string): DatasourceRecord | undefined {
    const row = this.#statements.byId.get(id)
    return row && toRecord(row)
  }

  ids(): DatasourceId[] {
    return this.#statements.ids.all().map((row) => asDatasourceId(row.id))
  }

  /** The id of the datasource with this name (compared case-insensitively), if any. */
  idByName(name: string): DatasourceId | undefined {
    const row = this.#statements.idByName.get(name)
    return row ? asDatasourceId(row.id) : undefined
  }

  /** Runs `work` in one transaction: all of it is stored, or none. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)()
  }

  save(record: DatasourceRecord): void {
    const auth = record.auth
    const oauth = auth.type === 'oauth2-password' ? auth : null
    this.#statements.upsert.run({
      id: record.id,
      name: record.name,
      url: record.url,
      auth_type: auth.type,
      token_url: oauth?.tokenUrl ?? null,
      client_id: oauth?.clientId ?? null,
      client_auth: oauth?.clientAuth ?? null,
      username: oauth?.username ?? null,
      remember_password: oauth?.rememberPassword === false ? 0 : 1,
      scope: oauth?.scope ?? '',
      extra_params: JSON.stringify(oauth?.extraParams ?? []),
      has_client_secret: oauth?.hasClientSecret ? 1 : 0,
      has_password: oauth?.hasPassword ? 1 : 0,
      config_revision: record.revision,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      issuer: oauth?.issuer ?? '',
      discovery: oauth?.discovery ? JSON.stringify(oauth.discovery) : null,
      preset: oauth?.preset ?? 'other',
    })
  }

  /** The datasource's configuration revision, or undefined when it no longer exists. */
  revision(id: string): number | undefined {
    return this.#statements.revision.get(id)?.config_revision
  }

  /** The random id of this database, carried by its keychain account names. */
  databaseId(): string {
    const row = this.#statements.databaseId.get()
    if (!row) throw new Error('database identity missing')
    return row.id
  }

  /** When the orphan sweep last listed the keychain for this database; null: never. */
  lastSweepAt(): number | null {
    return this.#statements.lastSweepAt.get()?.last_sweep_at ?? null
  }

  recordSweep(now: number): void {
    this.#statements.recordSweep.run(now)
  }

  /** The keychain account that holds this secret now, or null when none is stored. */
  secretAccount(id: string, kind: SecretKind): string | null {
    return this.#statements.secretAccount.get(id, kind)?.account ?? null
  }

  /** Where this secret is now: its keychain account and, in a token bundle, its entry's key. */
  secretPointer(id: string, kind: SecretKind): SecretPointer | null {
    const row = this.#statements.secretAccount.get(id, kind)
    return row ? { account: row.account, entry: row.entry } : null
  }

  /** Whether any datasource still points to this account (a bundle is shared by many). */
  isSecretAccountPointed(account: string): boolean {
    return this.#statements.secretAccountPointed.get(account) !== undefined
  }

  /** The secret_writes row of this account, if any. */
  secretWrite(account: string): SecretWriteRecord | null {
    const row = this.#statements.secretWrite.get(account)
    return row ? { account: row.account, holder: row.holder, startedAt: row.started_at } : null
  }

  secretAccounts(id: string): Map<SecretKind, string> {
    return new Map(this.#statements.secretAccounts.all(id).map((row) => [row.kind, row.account]))
  }

  /** Every keychain account some datasource of this database points to. */
  allSecretAccounts(): Set<string> {
    return new Set(this.#statements.allSecretAccounts.all().map((row) => row.account))
  }

  /** Points the secret at `account`, or at the entry `entry` inside the bundle `account`. */
  setSecretAccount(id: string, kind: SecretKind, account: string, entry: string | null = null): void {
    this.#statements.putSecretAccount.run(id, kind, account, entry)
  }

  removeSecretAccount(id: string, kind: SecretKind): void {
    this.#statements.removeSecretAccount.run(id, kind)
  }

  addSecretWrite(account: string, holder: string, now: number): void {
    this.#statements.addSecretWrite.run(account, holder, now)
  }

  clearSecretWrite(account: string): void {
    this.#statements.clearSecretWrite.run(account)
  }

  /**
   * Records an account nothing points to any more as due for deletion (secret_writes with the
   * holder `holder`), so that a process killed before deleting it, or a keychain that refused,
   * leaves a trace any later process can clean up without listing the keychain.
   */
  markSecretForDeletion(account: string, holder: string, now: number): void {
    this.#statements.markSecretForDeletion.run(account, holder, now)
  }

  secretWrites(): SecretWriteRecord[] {
    return this.#statements.secretWrites.all().map((row) => ({ account: row.account, holder: row.holder, startedAt: row.started_at }))
  }

  setHasPassword(id: string, hasPassword: boolean, remember: boolean, now: number): void {
    this.#statements.setHasPassword.run(hasPassword ? 1 : 0, remember ? 1 : 0, now, id)
  }

  delete(id: string): boolean {
    return this.#statements.delete.run(id).changes > 0
  }

  token(id: string): TokenMeta | null {
    const row = this.#statements.token.get(id)
    return row ? toTokenMeta(row) : null
  }

  allTokens(): Map<string, TokenMeta> {
    return new Map(this.#statements.allTokens.all().map((row) => [row.datasource_id, toTokenMeta(row)]))
  }

  saveToken(id: string, token: TokenMeta): void {
    this.#statements.upsertToken.run(
      id,
      token.tokenType,
      token.grantedScope,
      token.requestedScope,
      token.obtainedAt,
      token.expiresAt,
      token.hasRefreshToken ? 1 : 0,
      token.expiresFrom ?? null,
      token.idToken ?? null,
      token.refreshRejectedAt ?? null,
    )
  }

  /**
   * Records that the server refused the refresh token of the token obtained at `obtainedAt`; a
   * token stored since (another process's, a Save's) is left alone. Returns the token as stored now.
   */
  markRefreshRejected(id: string, obtainedAt: number, at: number): TokenMeta | null {
    this.#statements.markRefreshRejected.run(at, id, obtainedAt)
    return this.token(id)
  }

  deleteToken(id: string): void {
    this.#statements.deleteToken.run(id)
  }

  renewalState(id: string): RenewalStateRecord | null {
    const row = this.#statements.state.get(id)
    return row ? toStateRecord(row) : null
  }

  allRenewalStates(): Map<string, RenewalStateRecord> {
    return new Map(this.#statements.allStates.all().map((row) => [row.datasource_id, toStateRecord(row)]))
  }

  saveRenewalState(id: string, state: RenewalStateRecord): void {
    this.#statements.upsertState.run(id, state.state, state.attempt, state.nextAttemptAt, storableError(state.lastError), state.updatedAt)
  }

  addHistory(id: string, event: NewHistoryEvent): void {
    this.transaction(() => {
      this.#statements.addHistory.run(
        id,
        event.at,
        event.kind,
        event.message,
        event.grant ?? null,
        event.attempt ?? null,
        storableError(event.error),
      )
      this.#statements.trimHistory.run(id, id)
    })
  }

  /**
   * Takes the renewal lease for a datasource unless another live holder has it. BEGIN IMMEDIATE
   * takes SQLite's write lock first, so two processes cannot both see the lease as free. A lease
   * whose holder `isGone` (a process killed mid-renewal) is taken over at once, not after its TTL.
   */
  tryAcquireLease(id: string, holder: string, now: number, ttlMs: number, isGone: (holder: string) => boolean = () => false): boolean {
    const acquire = this.#db.transaction(() => {
      const current = this.lease(id)
      if (current && current.holder !== holder && leaseIsLive(current, now, isGone)) return false
      this.#statements.putLease.run(id, holder, now + ttlMs)
      return true
    })
    return acquire.immediate()
  }

  /** Who holds the renewal lease of a datasource, and until when; null when nobody does. */
  lease(id: string): StoredLease | null {
    const row = this.#statements.lease.get(id)
    return row ? { holder: row.holder, expiresAt: row.expires_at } : null
  }

  /** Moves the lease's expiry on while its holder works; false when the holder no longer has it. */
  extendLease(id: string, holder: string, expiresAt: number): boolean {
    return this.#statements.extendLease.run(expiresAt, id, holder).changes > 0
  }

  releaseLease(id: string, holder: string): void {
    this.#statements.releaseLease.run(id, holder)
  }

  history(id: string): HistoryEvent[] {
    return this.#statements.history.all(id).map((row) => ({
      id: row.id,
      datasourceId: row.datasource_id,
      at: row.at,
      kind: row.kind,
      message: row.message,
      ...(row.grant_type ? { grant: row.grant_type } : {}),
      ...(row.attempt !== null ? { attempt: row.attempt } : {}),
      ...(row.error ? { error: parseError(row.error) ?? undefined } : {}),
    }))
  }
}

function toStateRecord(row: RenewalStateRow): RenewalStateRecord {
  return {
    state: row.state,
    attempt: row.attempt,
    nextAttemptAt: row.next_attempt_at,
    lastError: parseError(row.last_error),
    updatedAt: row.updated_at,
  }
}
