import type { Secret } from './secret'

/** The kinds of secret kept per datasource, one keychain account each. */
export const SECRET_KINDS = ['client-secret', 'password', 'access-token', 'refresh-token'] as const
export type SecretKind = (typeof SECRET_KINDS)[number]

/**
 * The keychain account name for one version of one secret: "<database id>/<datasource id>/<kind>/<version>".
 * The database id keeps data folders that share the keychain service apart; the version makes every
 * write go to a new account, which SQLite points to only once the write is complete.
 */
export const versionedSecretAccount = (databaseId: string, datasourceId: string, kind: SecretKind, version: string): string =>
  `${databaseId}/${datasourceId}/${kind}/${version}`

/**
 * The keychain account of a token bundle: the access and refresh tokens of many datasources in one
 * item ("<database id>/token-bundle/<version>", see token-bundle.ts), written once where each
 * datasource would cost one write per token.
 */
export const tokenBundleAccount = (databaseId: string, version: string): string => `${databaseId}/${TOKEN_BUNDLE}/${version}`

const TOKEN_BUNDLE = 'token-bundle'

/** Whether the account is a token bundle (shared by many datasources) rather than one secret. */
export const isTokenBundleAccount = (account: string): boolean => account.split('/')[1] === TOKEN_BUNDLE && account.split('/').length === 3

/** The database id an account carries (a versioned secret or a bundle); null for legacy or foreign names. */
export function accountDatabaseId(account: string): string | null {
  const parts = account.split('/')
  if (parts.length === 3 && parts[1] === TOKEN_BUNDLE && parts[0] && parts[2]) return parts[0]
  return parseSecretAccount(account)?.databaseId ?? null
}

/** The name entries had before accounts were versioned ("<datasource id>/<kind>"), still pointed to by old rows. */
export const legacySecretAccount = (datasourceId: string, kind: SecretKind): string => `${datasourceId}/${kind}`

export interface ParsedSecretAccount {
  /** null for a legacy account, which names no database and so is never swept. */
  readonly databaseId: string | null
  readonly datasourceId: string
  readonly kind: SecretKind
}

export function parseSecretAccount(account: string): ParsedSecretAccount | null {
  const parts = account.split('/')
  const isKind = (value: string | undefined): value is SecretKind => SECRET_KINDS.includes(value as SecretKind)
  if (parts.length === 4 && parts.every(Boolean) && isKind(parts[2])) {
    return { databaseId: parts[0]!, datasourceId: parts[1]!, kind: parts[2] }
  }
  const slash = account.lastIndexOf('/')
  const kind = account.slice(slash + 1)
  if (slash <= 0 || !isKind(kind)) return null
  return { databaseId: null, datasourceId: account.slice(0, slash), kind }
}

const LOCK_PROBE_PREFIX = 'datasource-desk-lock-probe'

/**
 * The item a keychain store writes and deletes at once to tell a locked keychain from a missing
 * secret, where it cannot ask (keytar-secret-store.ts): one per store and process
 * ("datasource-desk-lock-probe/<holder>", see process-holder.ts), so that two processes probing at
 * once never write and delete the same item. A killed prober's item is swept once its holder is gone.
 */
export const lockProbeAccount = (holder: string): string => `${LOCK_PROBE_PREFIX}/${holder}`

/** The holder of a lock-probe item, '' for the one item every process shared before, null for any other account. */
export function lockProbeHolder(account: string): string | null {
  if (account === LOCK_PROBE_PREFIX) return ''
  return account.startsWith(`${LOCK_PROBE_PREFIX}/`) ? account.slice(LOCK_PROBE_PREFIX.length + 1) : null
}

/**
 * Where secrets live: the OS keychain in the app (keytar-secret-store.ts), an in-memory map in
 * unit tests. Every method rejects with a `KeychainError` when the keychain cannot be used; no
 * implementation ever falls back to writing plaintext somewhere else.
 */
export interface SecretStore {
  get(account: string): Promise<Secret | null>
  set(account: string, value: Secret): Promise<void>
  /** Resolves true when something was deleted. */
  delete(account: string): Promise<boolean>
  /** Every account this store holds under its service name (for the start-up sweep). */
  accounts(): Promise<ReadonlyArray<string>>
  /**
   * Resolves when the keychain answers, rejects like the other methods when it does not; one
   * cheap call, where `accounts()` reads every secret (findCredentials). Stores without it are
   * probed with `accounts()`.
   */
  probe?(): Promise<void>
}

export class KeychainError extends Error {
  constructor(
    message: string,
    readonly code: 'unavailable' | 'timeout' | 'locked' | 'failed',
  ) {
    super(message)
    this.name = 'KeychainError'
  }
}
