/**
 * oauth2-mock-server 9.x as an OpenID Connect provider: RS256-signed JWT access tokens and ID
 * tokens, OIDC discovery, and endpoints laid out like Keycloak's under an issuer that can carry a
 * path (`/realms/acme`). It accepts any client credentials, any username and password, any scope
 * and any refresh token; the matrix marks those scenarios as not applicable to it.
 *
 * Glue through its documented events, to behave like the servers it stands in for: the configured
 * lifetime goes into `exp` and `expires_in`; the ID token is sent only when `openid` was asked for
 * (the library always adds one); `expires_in` can be left out (the JWT's `exp` then is the only
 * expiry); its discovery document names the endpoints where they are (it would append their paths
 * to the issuer's path a second time).
 */
import { Buffer } from 'node:buffer'
import { Events, OAuth2Server, type MutableResponse, type MutableToken, type TokenRequestIncomingMessage } from 'oauth2-mock-server'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { InteropServer, JwtExpiryControl } from './interop-server'

export interface MockOidcServer extends InteropServer {
  readonly issuer: string
  readonly discoveryUrl: string
  readonly jwtExpiry: JwtExpiryControl
  /** The Authorization header of each token request, oldest first (what went on the wire). */
  readonly tokenRequestAuthorizations: ReadonlyArray<string | null>
}

export interface MockOidcOptions {
  /** The issuer's path, e.g. `/realms/acme`; empty for an issuer at the origin. */
  readonly issuerPath: string
  /**
   * Where the metadata is published: the OIDC document (the library's default), or only the
   * RFC 8414 location (`/.well-known/oauth-authorization-server` + the issuer's path), as plain
   * OAuth 2.0 servers do; the library serves its document at whatever path it is given.
   */
  readonly metadata?: 'oidc' | 'rfc8414'
}

function jwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export async function startMockOidcServer(options: MockOidcOptions): Promise<MockOidcServer> {
  const prefix = options.issuerPath
  const endpoints = {
    wellKnownDocument: options.metadata === 'rfc8414' ? `/.well-known/oauth-authorization-server${prefix}` : `${prefix}/.well-known/openid-configuration`,
    token: `${prefix}/protocol/openid-connect/token`,
    jwks: `${prefix}/protocol/openid-connect/certs`,
    authorize: `${prefix}/protocol/openid-connect/auth`,
    userinfo: `${prefix}/protocol/openid-connect/userinfo`,
    revoke: `${prefix}/protocol/openid-connect/revoke`,
    endSession: `${prefix}/protocol/openid-connect/logout`,
    introspect: `${prefix}/protocol/openid-connect/token/introspect`,
  }
  const apiPath = `${prefix}/api`
  const server = new OAuth2Server(undefined, undefined, { endpoints })
  await server.issuer.keys.generate('RS256')
  await server.start(0, '127.0.0.1')
  const base = `http://127.0.0.1:${server.address().port}`
  const issuer = `${base}${prefix}`
  server.issuer.url = issuer

  let lifetime = 3600
  let omitExpiresIn = false
  let lastExp: number | null = null
  const issuedAccessTokens = new Set<string>()

  server.service.on(Events.BeforeTokenSigning, (token: MutableToken) => {
    token.payload.exp = token.payload.iat + lifetime
  })
  const tokenRequestAuthorizations: Array<string | null> = []
  server.service.on(Events.BeforeResponse, (response: MutableResponse, req: TokenRequestIncomingMessage) => {
    tokenRequestAuthorizations.push(req.headers.authorization ?? null)
    if (response.body === '' || response.statusCode !== 200) return
    const body = response.body
    const scope = typeof req.body.scope === 'string' ? req.body.scope.split(' ') : []
    if (!scope.includes('openid')) delete body.id_token
    if (omitExpiresIn) delete body.expires_in
    else body.expires_in = lifetime
    if (typeof body.access_token === 'string') {
      issuedAccessTokens.add(body.access_token)
      const exp = jwtPayload(body.access_token)?.exp
      lastExp = typeof exp === 'number' ? exp : null
    }
  })
  server.service.on(Events.BeforeWellKnownOpenIdConfiguration, (response: MutableResponse) => {
    if (response.body === '') return
    for (const [name, path] of Object.entries({
      token_endpoint: endpoints.token,
      jwks_uri: endpoints.jwks,
      authorization_endpoint: endpoints.authorize,
      userinfo_endpoint: endpoints.userinfo,
      revocation_endpoint: endpoints.revoke,
      end_session_endpoint: endpoints.endSession,
      introspection_endpoint: endpoints.introspect,
    })) {
      response.body[name] = `${base}${path}`
    }
  })
  server.service.addRoute('GET', apiPath, (req: IncomingMessage, res: ServerResponse) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const exp = token && issuedAccessTokens.has(token) ? jwtPayload(token)?.exp : undefined
    const valid = typeof exp === 'number' && exp * 1000 > Date.now()
    res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json', ...(valid ? {} : { 'www-authenticate': 'Bearer' }) })
    res.end(JSON.stringify(valid ? { ok: true } : { error: 'invalid_token' }))
  })

  let closed = false
  const rfc8414 = options.metadata === 'rfc8414'
  return {
    key: rfc8414 ? 'oauth2-mock-server-rfc8414' : prefix ? 'oauth2-mock-server-realm' : 'oauth2-mock-server',
    title: rfc8414 ? 'oauth2-mock-server 9.x, RFC 8414 metadata only' : prefix ? `oauth2-mock-server 9.x, issuer ${prefix}` : 'oauth2-mock-server 9.x, issuer at the origin',
    tokenUrl: `${base}${endpoints.token}`,
    apiUrl: `${base}${apiPath}`,
    issuer,
    discoveryUrl: `${base}${endpoints.wellKnownDocument}`,
    tokenRequestAuthorizations,
    revocation: { issuer, endpoint: `${base}${endpoints.revoke}`, revokes: false },
    introspection: { issuer, endpoint: `${base}${endpoints.introspect}`, followsToken: false },
    async setAccessTokenLifetime(seconds) {
      lifetime = seconds
    },
    async revokeRefreshTokens() {
      throw new Error('oauth2-mock-server accepts any refresh token; it cannot revoke one')
    },
    jwtExpiry: {
      omitExpiresIn(omit) {
        omitExpiresIn = omit
      },
      lastAccessTokenExp: () => lastExp,
    },
    async close() {
      if (closed) return
      closed = true
      await server.stop()
    },
  }
}
