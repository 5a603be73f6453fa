import { renewalTime, type TokenMeta } from '../../shared/token'

/**
 * True while a stored token may be handed out without asking the server: until the app's renewal
 * window opens (the earliest point at which the app itself may renew: 70% of a short token's
 * lifetime, 5 min before a long one expires), so a script always gets a token with that much
 * left. A token without an expiry is never renewed on a timer by the app either, so it stays in
 * use until the server refuses it.
 */
export function isFresh(token: Pick<TokenMeta, 'obtainedAt' | 'expiresAt'>, now: number): boolean {
  if (token.expiresAt === null) return true
  const windowOpens = renewalTime(token, 0)
  return windowOpens !== null && now < windowOpens && now < token.expiresAt
}
