/**
 * The project's own test server (@node-oauth/oauth2-server 5.x, tests/support/oauth-server.ts)
 * with the interop clients and users added, so that it runs the same scenarios as the others.
 * It form-decodes Basic credentials (fixed in front of the library, see oauth-server.ts), knows
 * the scopes `read`, `write` and `admin` (not `openid`), and rotates refresh tokens.
 */
import { startOAuthServer } from '../oauth-server'
import { INTEROP_CLIENTS, INTEROP_USERS, type InteropServer } from './interop-server'

export async function startNodeOAuthServer(): Promise<InteropServer> {
  const server = await startOAuthServer({ extraClients: INTEROP_CLIENTS })
  for (const user of INTEROP_USERS) server.setUserPassword(user.username, user.password)
  return {
    key: 'node-oauth-oauth2-server',
    title: '@node-oauth/oauth2-server 5.x (the suite\'s own server)',
    tokenUrl: server.tokenUrl,
    apiUrl: server.apiUrl,
    issuer: null,
    async setAccessTokenLifetime(seconds) {
      server.setTokenLifetime(seconds)
    },
    async revokeRefreshTokens() {
      server.revokeRefreshTokens()
    },
    close: () => server.close(),
  }
}
