import type { Secret } from './secret'

/** The kinds of secret kept per datasource, one keychain account each. */
export const SECRET_KINDS = ['client-secret', 'password', 'access-token', 'refresh-token'] as const
export type SecretKind = (typeof SECRET_KINDS)[number]

/** The keychain account name for one secret of one datasource. */
export const secretAccount = (datasourceId: string, kind: SecretKind): string => `${datasourceId}/${kind}`

export function parseSecretAccount(account: string): { datasourceId: string; kind: SecretKind } | null {
  const slash = account.lastIndexOf('/')
  const kind = account.slice(slash + 1) as SecretKind
  if (slash <= 0 || !SECRET_KINDS.includes(kind)) return null
  return { datasourceId: account.slice(0, slash), kind }
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
