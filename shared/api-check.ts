/**
 * What the window and the command line say when Test connection's API check met a 401 and the app
 * renewed the token once and asked again. No zod here: the CLI's shared chunk stays light.
 */
import type { ApiCheck } from './connection-test'

/** One sentence about the retry after a 401; '' when there was none. */
export function apiRetryText(check: ApiCheck, surface: 'app' | 'cli' = 'app'): string {
  const retry = check.retriedAfter401
  if (!retry) return ''
  if (retry.renewError) return `The API refused the token (401), and no new token could be obtained: ${retry.renewError.message}`
  if (check.error) return `The API refused the token (401); a new token was obtained, but the second request failed: ${check.error.message}`
  const status = check.status ?? 0
  if (status >= 200 && status < 300) return 'The API refused the token (401); a new token was obtained and the API accepted it.'
  if (status === 401) return `The API refused the token (401) and a new one as well: it may expect another scope or audience (${surface === 'cli' ? 'set it with --scope or --param audience=...' : 'see Scope and Extra parameters'}), or the token comes from another system than the API trusts.`
  return `The API refused the token (401); a new token was obtained and the API answered ${status}.`
}
