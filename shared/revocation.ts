/**
 * What revoking a datasource's tokens at its server (RFC 7009) did, and the one sentence the
 * window and the command line both say about it. No zod here: the CLI's shared chunk stays light.
 */
import type { AppError } from './errors'

export type RevokedTokenKind = 'refresh-token' | 'access-token'

export interface RevocationReport {
  /** The revocation endpoint's host (never a token or a secret). */
  readonly host: string
  /** The tokens the server confirmed revoked, in the order they were sent (refresh token first). */
  readonly revoked: ReadonlyArray<RevokedTokenKind>
  /** Why the other tokens were not revoked; absent when all were. */
  readonly error?: AppError
}

const NAMES: Readonly<Record<RevokedTokenKind, string>> = { 'refresh-token': 'the refresh token', 'access-token': 'the access token' }

/** "Revoked the refresh token and the access token at auth.example." or why not. */
export function revocationText(report: RevocationReport): string {
  const revoked = report.revoked.map((kind) => NAMES[kind]).join(' and ')
  if (!report.error) return `Revoked ${revoked} at ${report.host}.`
  const reason = report.error.message.replace(/\.$/, '')
  if (revoked) return `Revoked ${revoked} at ${report.host}; the rest could not be revoked: ${reason} (it expires on its own).`
  return `Could not revoke the tokens at ${report.host}: ${reason} (the tokens expire on their own).`
}
