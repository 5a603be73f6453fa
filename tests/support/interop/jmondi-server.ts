/**
 * @jmondi/oauth2-server 4.x as an authorization server: its AuthorizationServer with the password
 * and refresh_token grants, small in-memory repositories, glued to node:http the way its vanilla
 * adapter does it (form body, errors through handleVanillaError). What makes it worth testing:
 * it reads HTTP Basic credentials as latin1 and does not form-decode them, its access and refresh
 * tokens are JWTs (HS256 with the server's secret; `expires_in` can be left out, leaving `exp`
 * as the only expiry), it rotates refresh tokens, and it refuses a
 * revoked or rotated-away refresh token with `invalid_request` ("Token has been revoked"), not
 * `invalid_grant`.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
  AuthorizationServer,
  DateInterval,
  JwtService,
  OAuthRequest,
  type OAuthClient,
  type OAuthClientRepository,
  type OAuthScope,
  type OAuthScopeRepository,
  type OAuthToken,
  type OAuthTokenRepository,
  type OAuthUser,
  type OAuthUserRepository,
} from '@jmondi/oauth2-server'
import { handleVanillaError } from '@jmondi/oauth2-server/vanilla'
import { ALLOWED_SCOPE, INTEROP_CLIENTS, INTEROP_USERS, type InteropServer } from './interop-server'

const KNOWN_SCOPES = [ALLOWED_SCOPE, 'write', 'openid']
const MAX_BODY_BYTES = 64 * 1024
const TOKEN_PATH = '/oauth/token'
const API_PATH = '/api'
const REVOKE_PATH = '/oauth/revoke'
const INTROSPECT_PATH = '/oauth/introspect'
/** The issuer whose RFC 8414 metadata this glue serves (not at the origin: the library publishes none there). */
const DEPLOYMENT_ISSUER_PATH = '/deployment'

const newId = (): string => randomBytes(16).toString('hex')

export async function startJmondiServer(): Promise<InteropServer> {
  const clients: ReadonlyArray<OAuthClient> = INTEROP_CLIENTS.map((client) => ({
    id: client.id,
    name: client.id,
    secret: client.secret,
    redirectUris: [],
    // client_credentials too: the library answers revocation (RFC 7009) through that grant and
    // authenticates the client for it; the matrix never asks for such a token.
    allowedGrants: ['password', 'refresh_token', 'client_credentials'],
    scopes: KNOWN_SCOPES.map((name) => ({ name })),
  }))
  const tokensByRefreshToken = new Map<string, OAuthToken>()
  const tokensByAccessToken = new Map<string, OAuthToken>()
  const revokedRefreshTokens = new Set<string>()
  const revokedAccessTokens = new Set<string>()

  const clientRepository: OAuthClientRepository = {
    async getByIdentifier(clientId) {
      // An unknown client resolves to undefined, which the library answers with invalid_client;
      // a thrown error would become a 500.
      return clients.find((candidate) => candidate.id === clientId) as OAuthClient
    },
    async isClientValid(grantType, client, clientSecret) {
      return client.allowedGrants.includes(grantType) && client.secret === clientSecret
    },
  }
  const scopeRepository: OAuthScopeRepository = {
    async getAllByIdentifiers(names) {
      return names.filter((name) => KNOWN_SCOPES.includes(name)).map((name) => ({ name }))
    },
    async finalize(scopes: OAuthScope[]) {
      return scopes.length > 0 ? scopes : [{ name: ALLOWED_SCOPE }]
    },
  }
  const userRepository: OAuthUserRepository = {
    async getUserByCredentials(identifier, password) {
      const user = INTEROP_USERS.find((candidate) => candidate.username === identifier && candidate.password === password)
      return user ? ({ id: user.username } satisfies OAuthUser) : undefined
    },
  }
  const tokenRepository: OAuthTokenRepository = {
    async issueToken(client, scopes, user) {
      // The server replaces the expiry with the grant's configured lifetime.
      const token: OAuthToken = { accessToken: newId(), accessTokenExpiresAt: new Date(), client, user: user ?? null, scopes }
      tokensByAccessToken.set(token.accessToken, token)
      return token
    },
    async issueRefreshToken(token) {
      token.refreshToken = newId()
      token.refreshTokenExpiresAt = new Date(Date.now() + 14 * 24 * 3600 * 1000)
      tokensByRefreshToken.set(token.refreshToken, token)
      return token
    },
    async persist() {},
    async revoke(token) {
      // Called with the old token when a refresh token is used (that refresh token is spent), and
      // by the revocation endpoint (RFC 7009) for either token: both then end, as the RFC allows.
      if (token.refreshToken) revokedRefreshTokens.add(token.refreshToken)
      revokedAccessTokens.add(token.accessToken)
    },
    async getByAccessToken(accessToken) {
      const token = tokensByAccessToken.get(accessToken)
      // A revoked token is gone, as from a store that deletes it: introspection then says inactive.
      if (!token || revokedAccessTokens.has(accessToken)) throw new Error('unknown access token')
      return token
    },
    async isRefreshTokenRevoked(token) {
      return !token.refreshToken || revokedRefreshTokens.has(token.refreshToken)
    },
    async getByRefreshToken(refreshToken) {
      const token = tokensByRefreshToken.get(refreshToken)
      if (!token) throw new Error('unknown refresh token')
      return token
    },
  }

  const signingSecret = randomBytes(32).toString('hex')
  const authorizationServer = new AuthorizationServer(clientRepository, tokenRepository, scopeRepository, signingSecret, {
    issuer: undefined,
  })
  const setLifetime = (seconds: number): void => {
    authorizationServer.enableGrantType({ grant: 'password', userRepository }, new DateInterval(`${seconds}s`))
    authorizationServer.enableGrantType('refresh_token', new DateInterval(`${seconds}s`))
  }
  setLifetime(3600)
  authorizationServer.enableGrantType('client_credentials')
  const jwt = new JwtService(signingSecret)
  let omitExpiresIn = false
  let lastExp: number | null = null
  let base = ''

  function send(res: ServerResponse, status: number, headers: Readonly<Record<string, unknown>>, body: string): void {
    const plain: Record<string, string> = { connection: 'close' }
    for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') plain[name] = value
    res.writeHead(status, plain)
    res.end(body)
  }

  async function readBody(req: IncomingMessage): Promise<string | null> {
    const chunks: Buffer[] = []
    let total = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.byteLength
      if (total > MAX_BODY_BYTES) return null
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  async function oauthRequest(req: IncomingMessage): Promise<OAuthRequest | null> {
    const raw = await readBody(req)
    if (raw === null) return null
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim()
    const body = contentType === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(raw)) : {}
    return new OAuthRequest({ headers: { ...req.headers }, query: {}, body })
  }

  async function handleIntrospect(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await oauthRequest(req)
    if (!request) return send(res, 413, {}, '')
    try {
      // The library authenticates the client (authenticateIntrospect, its default) through the client_credentials grant.
      const response = await authorizationServer.introspect(request)
      send(res, response.status, { ...response.headers, 'content-type': 'application/json' }, JSON.stringify(response.body))
    } catch (error) {
      const response = handleVanillaError(error)
      send(res, response.status, response.headers, JSON.stringify(response.body))
    }
  }

  async function handleRevoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await oauthRequest(req)
    if (!request) return send(res, 413, {}, '')
    try {
      const response = await authorizationServer.revoke(request)
      send(res, response.status, response.headers, response.body && Object.keys(response.body).length > 0 ? JSON.stringify(response.body) : '')
    } catch (error) {
      const response = handleVanillaError(error)
      send(res, response.status, response.headers, JSON.stringify(response.body))
    }
  }

  /** RFC 8414 metadata for the routes of this glue: the library itself publishes none. */
  function handleMetadata(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    send(res, 200, { 'content-type': 'application/json' }, JSON.stringify({
      issuer: `${base}${DEPLOYMENT_ISSUER_PATH}`,
      token_endpoint: `${base}${TOKEN_PATH}`,
      revocation_endpoint: `${base}${REVOKE_PATH}`,
      introspection_endpoint: `${base}${INTROSPECT_PATH}`,
      grant_types_supported: ['password', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    }))
    return Promise.resolve()
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await oauthRequest(req)
    if (!request) return send(res, 413, {}, '')
    try {
      const response = await authorizationServer.respondToAccessTokenRequest(request)
      const body = { ...(response.body as Record<string, unknown>) }
      if (typeof body.access_token === 'string') {
        const exp = jwt.decode(body.access_token)
        lastExp = typeof exp === 'object' && exp !== null && typeof exp.exp === 'number' ? exp.exp : null
      }
      if (omitExpiresIn) delete body.expires_in
      send(res, response.status, response.headers, JSON.stringify(body))
    } catch (error) {
      const response = handleVanillaError(error)
      send(res, response.status, response.headers, JSON.stringify(response.body))
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
    const claims = match?.[1] ? await jwt.verify(match[1]).catch(() => null) : null
    const revoked = typeof claims?.jti === 'string' && revokedAccessTokens.has(claims.jti)
    if (!claims || revoked) return send(res, 401, { 'www-authenticate': 'Bearer', 'content-type': 'application/json' }, '{"error":"invalid_token"}')
    send(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ ok: true, sub: claims.sub ?? null }))
  }

  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const routes: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>> = {
      [`POST ${TOKEN_PATH}`]: handleToken,
      [`POST ${REVOKE_PATH}`]: handleRevoke,
      [`POST ${INTROSPECT_PATH}`]: handleIntrospect,
      [`GET ${API_PATH}`]: handleApi,
      [`GET /.well-known/oauth-authorization-server${DEPLOYMENT_ISSUER_PATH}`]: handleMetadata,
    }
    const handler = routes[`${req.method ?? ''} ${path}`] ?? null
    // Nothing here: the bare answer of a Node server without a route.
    if (!handler) return send(res, 404, { 'content-type': 'text/plain' }, 'Not Found')
    handler(req, res).catch(() => (res.headersSent ? res.destroy() : send(res, 500, {}, '')))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // Test servers never keep a test process alive on their own.
  server.unref()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let closed = false

  return {
    key: 'jmondi-oauth2-server',
    title: '@jmondi/oauth2-server 4.x',
    tokenUrl: `${base}${TOKEN_PATH}`,
    apiUrl: `${base}${API_PATH}`,
    issuer: null,
    revocation: {
      issuer: `${base}${DEPLOYMENT_ISSUER_PATH}`,
      endpoint: `${base}${REVOKE_PATH}`,
      revokes: true,
    },
    introspection: { issuer: `${base}${DEPLOYMENT_ISSUER_PATH}`, endpoint: `${base}${INTROSPECT_PATH}`, followsToken: true },
    async setAccessTokenLifetime(seconds) {
      setLifetime(seconds)
    },
    async revokeRefreshTokens() {
      for (const refreshToken of tokensByRefreshToken.keys()) revokedRefreshTokens.add(refreshToken)
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
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await done
    },
  }
}
