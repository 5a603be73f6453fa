import type { DatasourceInput } from '../../../shared/datasource'
import { appError, type AppError } from '../../../shared/errors'
import type { DatasourceRecord } from '../db/datasource-repository'
import { urlOrigin } from '../../../shared/url-parts'

/**
 * Credentials follow their server (issue 11, item 5): when an edit or an import points the token
 * URL at another origin, the stored client secret and password are not sent there until the user
 * types them again or confirms that origin (`confirmedOrigin`, the form's checkbox, the CLI's
 * --keep-secrets-for-new-origin). Returns the refusal, or null when nothing stored would move.
 */
export function storedSecretsToNewOrigin(existing: DatasourceRecord | undefined, input: DatasourceInput): AppError | null {
  if (!existing || existing.auth.type !== 'oauth2-password' || input.auth.type !== 'oauth2-password') return null
  const before = urlOrigin(existing.auth.tokenUrl)
  const after = urlOrigin(input.auth.tokenUrl)
  if (before === null || after === null || before === after || input.auth.confirmedOrigin === after) return null
  const keeps: Array<{ path: string; label: string }> = []
  if (existing.auth.hasClientSecret && input.auth.clientAuth !== 'none' && input.auth.clientSecret.action === 'keep') keeps.push({ path: 'auth.clientSecret', label: 'client secret' })
  if (existing.auth.hasPassword && input.auth.password.action === 'keep') keeps.push({ path: 'auth.password', label: 'password' })
  if (keeps.length === 0) return null
  const host = new URL(after).host
  return appError('validation', 'secrets-new-origin', `Nothing was sent: the token URL now points to ${host}, and the stored ${keeps.map((keep) => keep.label).join(' and ')} belonged to ${new URL(before).host}.`, {
    hint: `Enter the ${keeps.map((keep) => keep.label).join(' and ')} again, or confirm sending the stored ones to ${host} (in the CLI: --keep-secrets-for-new-origin).`,
    fieldIssues: keeps.map((keep) => ({ path: keep.path, message: `Enter it again for ${host}, or confirm sending the stored one` })),
  })
}
