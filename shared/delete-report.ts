import type { RevocationReport } from './revocation'

/**
 * What Delete did. The datasource is always gone; `secretsLeft` names the keychain entries the
 * keychain did not delete (it was locked, gone or silent): the start-up sweep retries them.
 */
export interface DeleteReport {
  readonly id: string
  readonly secretsLeft?: ReadonlyArray<'client-secret' | 'password' | 'access-token' | 'refresh-token'>
  /**
   * What revoking the tokens at the server (RFC 7009) did, after the datasource was removed;
   * absent when the server advertised no revocation endpoint or no token was stored.
   */
  readonly revocation?: RevocationReport
}
