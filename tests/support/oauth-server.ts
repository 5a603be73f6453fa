/**
 * A real OAuth 2.0 authorization server for integration and e2e tests: @node-oauth/oauth2-server
 * behind node:http on 127.0.0.1, with an in-memory model the tests can steer (token lifetime,
 * passwords, refresh-token rotation and revocation, injected failures).
 *
 * One thing is fixed in front of the library: it decodes HTTP Basic client credentials with the
 * `basic-auth` package, which does not form-urldecode them. RFC 6749 2.3.1 requires that, so a
 * secret containing `+`, `/`, `=`, `&` or a space would fail for a correct client. The header is
 * decoded the RFC way here and handed on in the form the library reads; a client that sends the
 * credentials without form-encoding them (our "basic-raw") then fails like it does against
 * Keycloak or Spring, with 401 invalid_client.
 */
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import OAuth2Server from '@node-oauth/oauth2-server'

const { Request, Response, OAuthError, InvalidClientError, UnsupportedGrantTypeError, AbstractGrantType } = OAuth2Server

/** A confidential client whose id and secret need form-encoding in a Basic header. */
export const CONFIDENTIAL_CLIENT = { id: 'desk|client=1+a/b&c d', secret: 'se|cr=et+x/y&z w' } as const
/** Accepts its credentials only in the request body; a Basic header gets invalid_client. */
export const BODY_ONLY_CLIENT = { id: 'desk-body-only', secret: 'body|se=cr+et/&x y' } as const
/** A client whose id and secret need no encoding at all (only RFC 3986 unreserved characters). */
export const PLAIN_CLIENT = { id: 'desk-plain.client_1~x', secret: 'plain-secret.v2_~x' } as const
/** A public client: client_id in the body, no secret. */
export const PUBLIC_CLIENT = { id: 'desk-public' } as const
/** A confidential client without the password grant (Keycloak: "Direct Access Grants" off). */
export const NO_PASSWORD_GRANT_CLIENT = { id: 'desk-no-password', secret: 'no-password-secret' } as const
/** The user, with a username and password that need form-encoding. */
export const TEST_USER = { username: 'ana|b=c+d/e&f g', password: 'pa|ss=w+o/r&d x' } as const

/** Scopes the server knows; the confidential and body-only clients may get `read` and `write`. */
export const KNOWN_SCOPES = ['read', 'write', 'admin'] as const
/** Granted when a client asks for no scope. */
export const DEFAULT_SCOPE = 'read'

export interface ServerCounts {
  /** Every request to the token endpoint, failed and injected ones included. */
  tokenRequests: number
  passwordGrants: number
  refreshGrants: number
  apiRequests: number
  /** Every request the server received, on any path. */
  allRequests: number
}

export interface RecordedTokenRequest {
  readonly authorization: string | null
  readonly contentType: string | null
  /** The form parameters as the server decoded them (secrets included: this is a test server). */
  readonly params: Readonly<Record<string, string>>
}

export interface InjectedFailure {
  readonly status: number
  /** An object is sent as JSON; a string as it is (set content-type in `headers`). */
  readonly body?: string | Readonly<Record<string, unknown>>
  readonly headers?: Readonly<Record<string, string>>
}

export interface OAuthServerOptions {
  /** Access token lifetime in seconds; null: the response carries no expires_in. Default 3600. */
  readonly tokenLifetime?: number | null
  /** Issue a new refresh token on every refresh (default true). */
  readonly rotateRefreshTokens?: boolean
  /**
   * Without rotation, the refresh response repeats the refresh token it was given (as Okta and
   * Auth0 do) instead of leaving it out (the library's way).
   */
  readonly echoRefreshToken?: boolean
  /** Grant types the server offers at all; leaving out "password" gives unsupported_grant_type. */
  readonly grantTypes?: ReadonlyArray<'password' | 'refresh_token'>
  /** Issued tokens start with `<prefix>access-` and `<prefix>refresh-`, so a test can search for them
   * (the secret canary test). Without it the library's random tokens are used. */
  readonly tokenPrefix?: string
  /** Replaces CONFIDENTIAL_CLIENT.secret for this server (the canary test needs a unique one). */
  readonly confidentialClientSecret?: string
  /** More confidential clients (password and refresh grants, scopes `read` and `write`), e.g. the interop matrix's. */
  readonly extraClients?: ReadonlyArray<{ readonly id: string; readonly secret: string }>
  /**
   * 'form' (default): Basic credentials are form-decoded as RFC 6749 2.3.1 says. 'none': the
   * library's own behaviour, comparing the raw Basic value, as several real servers do.
   */
  readonly basicDecoding?: 'form' | 'none'
  /** Access tokens are JWTs whose `exp` lies this many seconds ahead (combine with tokenLifetime: null). */
  readonly jwtAccessTokenLifetime?: number
}

export interface OAuthTestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string
  readonly tokenUrl: string
  /** A protected GET resource: 200 JSON with a valid Bearer token, 401 otherwise. */
  readonly apiUrl: string
  readonly port: number
  /** Live counters (read them after the requests). */
  readonly counts: Readonly<ServerCounts>
  /** Token requests as received, oldest first. */
  readonly tokenRequestLog: ReadonlyArray<RecordedTokenRequest>
  resetCounts(): void
  setTokenLifetime(seconds: number | null): void
  setUserPassword(username: string, password: string): void
  /** Forgets every refresh token issued so far: the next refresh gets invalid_grant. */
  revokeRefreshTokens(): void
  /** Forgets every access token issued so far: the API answers 401 to them. */
  revokeAccessTokens(): void
  setRotateRefreshTokens(rotate: boolean): void
  /** Whether token responses carry a refresh token at all (default true). */
  setIssueRefreshTokens(issue: boolean): void
  /** Answers the next `count` token requests with this failure instead of handling them. */
  failNext(count: number, failure: InjectedFailure): void
  /** Stops listening (state is kept); connections are dropped. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
  close(): Promise<void>
}

type Client = OAuth2Server.Client & {
  readonly secret: string | null
  readonly bodyOnly: boolean
  readonly allowedScopes: ReadonlyArray<string>
}
type User = { readonly username: string }
type StoredToken = OAuth2Server.Token & { readonly client: Client; readonly user: User }

const CLIENTS: ReadonlyArray<Client> = [
  { id: CONFIDENTIAL_CLIENT.id, secret: CONFIDENTIAL_CLIENT.secret, grants: ['password', 'refresh_token'], bodyOnly: false, allowedScopes: ['read', 'write'] },
  { id: BODY_ONLY_CLIENT.id, secret: BODY_ONLY_CLIENT.secret, grants: ['password', 'refresh_token'], bodyOnly: true, allowedScopes: ['read', 'write'] },
  { id: PUBLIC_CLIENT.id, secret: null, grants: ['password', 'refresh_token'], bodyOnly: true, allowedScopes: ['read'] },
  { id: PLAIN_CLIENT.id, secret: PLAIN_CLIENT.secret, grants: ['password', 'refresh_token'], bodyOnly: false, allowedScopes: ['read', 'write'] },
  { id: NO_PASSWORD_GRANT_CLIENT.id, secret: NO_PASSWORD_GRANT_CLIENT.secret, grants: ['refresh_token'], bodyOnly: false, allowedScopes: ['read'] },
]

const MAX_BODY_BYTES = 64 * 1024
// Far in the future, for tokens issued without expires_in: the library insists on a Date.
const NO_EXPIRY = new Date(8.64e15)

function plainHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  return headers
}

/** Form-urldecoding per RFC 6749 Appendix B; null when the percent-encoding is broken. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return null
  }
}

/** The Basic credentials decoded the RFC 6749 2.3.1 way, or null when there is no Basic header. */
function decodeBasic(header: string | undefined): { id: string | null; secret: string | null } | null {
  const match = header ? /^\s*basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header) : null
  if (!match?.[1]) return null
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return { id: null, secret: null }
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
}

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthTestServer> {
  let tokenLifetime: number | null = options.tokenLifetime === undefined ? 3600 : options.tokenLifetime
  let rotate = options.rotateRefreshTokens ?? true
  let issueRefreshTokens = true
  const offered = new Set(options.grantTypes ?? ['password', 'refresh_token'])
  const passwords = new Map<string, string>([[TEST_USER.username, TEST_USER.password]])
  const accessTokens = new Map<string, StoredToken>()
  const refreshTokens = new Map<string, StoredToken>()
  const failures: InjectedFailure[] = []
  const counts: ServerCounts = { tokenRequests: 0, passwordGrants: 0, refreshGrants: 0, apiRequests: 0, allRequests: 0 }
  const tokenRequestLog: RecordedTokenRequest[] = []

  const tokenPrefix = options.tokenPrefix
  const clients = [
    ...CLIENTS.map((client) =>
      client.id === CONFIDENTIAL_CLIENT.id && options.confidentialClientSecret !== undefined ? { ...client, secret: options.confidentialClientSecret } : client,
    ),
    ...(options.extraClients ?? []).map(
      ({ id, secret }): Client => ({ id, secret, grants: ['password', 'refresh_token'], bodyOnly: false, allowedScopes: ['read', 'write'] }),
    ),
  ]
  const jwtLifetime = options.jwtAccessTokenLifetime
  const model: OAuth2Server.PasswordModel & OAuth2Server.RefreshTokenModel = {
    ...(tokenPrefix === undefined
      ? {}
      : {
          generateAccessToken: async () => `${tokenPrefix}access-${randomBytes(16).toString('hex')}`,
          generateRefreshToken: async () => `${tokenPrefix}refresh-${randomBytes(16).toString('hex')}`,
        }),
    ...(jwtLifetime === undefined
      ? {}
      : {
          // Signed with a throwaway key nobody checks: only the shape and `exp` matter here.
          generateAccessToken: async () => {
            const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
            const claims = { sub: TEST_USER.username, jti: randomBytes(8).toString('hex'), exp: Math.floor(Date.now() / 1000) + jwtLifetime }
            return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`
          },
        }),
    async getClient(clientId, clientSecret) {
      const client = clients.find((candidate) => candidate.id === clientId)
      if (!client) return null
      if (client.secret === null) return client
      return clientSecret === client.secret ? client : null
    },
    async getUser(username, password) {
      return passwords.get(username) === password ? { username } : null
    },
    async validateScope(_user, client, scope) {
      const allowed = (client as Client).allowedScopes
      if (!scope || scope.length === 0) return [DEFAULT_SCOPE]
      if (scope.some((name) => !(KNOWN_SCOPES as ReadonlyArray<string>).includes(name))) return false
      const granted = scope.filter((name) => allowed.includes(name))
      return granted.length > 0 ? granted : false
    },
    async saveToken(token, client, user) {
      const { refreshToken, refreshTokenExpiresAt, ...accessOnly } = token
      const stored: StoredToken = {
        ...(issueRefreshTokens ? { ...accessOnly, refreshToken, refreshTokenExpiresAt } : accessOnly),
        accessTokenExpiresAt: tokenLifetime === null ? NO_EXPIRY : token.accessTokenExpiresAt,
        client: client as Client,
        user: user as User,
      }
      accessTokens.set(stored.accessToken, stored)
      if (stored.refreshToken) refreshTokens.set(stored.refreshToken, stored)
      return stored
    },
    async getAccessToken(accessToken) {
      return accessTokens.get(accessToken) ?? null
    },
    async getRefreshToken(refreshToken) {
      const stored = refreshTokens.get(refreshToken)
      return stored ? { ...stored, refreshToken } : null
    },
    async revokeToken(token) {
      return refreshTokens.delete(token.refreshToken)
    },
  }

  /** Stands in for a grant type the server does not offer; the library then answers as it does for unknown ones. */
  class NotOffered extends AbstractGrantType {
    override async handle(): Promise<never> {
      throw new UnsupportedGrantTypeError('Unsupported grant type: `grant_type` is invalid')
    }
  }
  const notOffered = Object.fromEntries(
    (['password', 'refresh_token'] as const).filter((grant) => !offered.has(grant)).map((grant) => [grant, NotOffered]),
  ) as Record<string, typeof AbstractGrantType>

  const oauth = new OAuth2Server({
    model,
    // Client authentication is decided per client by the model (public clients have no secret).
    requireClientAuthentication: { password: false, refresh_token: false },
    refreshTokenLifetime: 14 * 24 * 3600,
  })

  function send(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    const isJson = typeof body !== 'string'
    res.writeHead(status, {
      ...(isJson ? { 'content-type': 'application/json' } : {}),
      'cache-control': 'no-store',
      // A fresh connection per request: a test that stops and restarts the server must not see a
      // client reuse a socket the server already dropped.
      connection: 'close',
      ...headers,
    })
    res.end(text)
  }

  function sendOAuthError(res: ServerResponse, error: InstanceType<typeof OAuthError>, headers: Readonly<Record<string, string>> = {}): void {
    send(res, error.code ?? 500, headers, { error: error.name, error_description: error.message })
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

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.tokenRequests += 1
    const raw = await readBody(req)
    if (raw === null) return send(res, 413, {}, { error: 'invalid_request', error_description: 'Request body too large' })
    const params = Object.fromEntries(new URLSearchParams(raw))
    if (params.grant_type === 'password') counts.passwordGrants += 1
    if (params.grant_type === 'refresh_token') counts.refreshGrants += 1
    tokenRequestLog.push({ authorization: req.headers.authorization ?? null, contentType: req.headers['content-type'] ?? null, params })

    const failure = failures.shift()
    if (failure) return send(res, failure.status, failure.headers ?? {}, failure.body ?? '')
    if (req.method !== 'POST') return send(res, 405, { allow: 'POST' }, { error: 'invalid_request', error_description: 'Use POST' })

    const headers = plainHeaders(req)
    const basic = options.basicDecoding === 'none' ? null : decodeBasic(req.headers.authorization)
    if (basic) {
      const client = clients.find((candidate) => candidate.id === basic.id)
      if (basic.id === null || basic.secret === null || basic.id.includes(':') || client?.bodyOnly) {
        return sendOAuthError(res, new InvalidClientError('Invalid client: client authentication failed', { code: 401 }), {
          'www-authenticate': 'Basic realm="Service"',
        })
      }
      // `basic-auth` in the library reads "id:secret" as it is, so hand it the decoded values.
      headers.authorization = `Basic ${Buffer.from(`${basic.id}:${basic.secret}`, 'utf8').toString('base64')}`
    }

    const request = new Request({ method: req.method, headers, query: {}, body: params })
    const response = new Response({})
    try {
      await oauth.token(request, response, {
        // The library needs some lifetime; with none configured the expiry is removed below.
        accessTokenLifetime: tokenLifetime ?? 3600,
        alwaysIssueNewRefreshToken: rotate,
        extendedGrantTypes: notOffered,
      })
      const body = { ...(response.body as Record<string, unknown>) }
      // The library reports the seconds left, rounded down when it writes the response, which turns
      // a 1 s lifetime into 0 and drops it; the configured lifetime is what the server grants.
      if (tokenLifetime === null) delete body.expires_in
      else body.expires_in = tokenLifetime
      if (options.echoRefreshToken && !rotate && params.grant_type === 'refresh_token' && body.refresh_token === undefined) body.refresh_token = params.refresh_token
      send(res, response.status ?? 200, response.headers as Record<string, string>, body)
    } catch (error) {
      if (error instanceof OAuthError) sendOAuthError(res, error, response.headers as Record<string, string>)
      else send(res, 500, {}, { error: 'server_error', error_description: 'Unexpected server error' })
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.apiRequests += 1
    const request = new Request({ method: req.method ?? 'GET', headers: plainHeaders(req), query: {} })
    const response = new Response({})
    try {
      const token = await oauth.authenticate(request, response)
      send(res, 200, {}, { ok: true, user: (token.user as User).username, scope: token.scope?.join(' ') ?? null })
    } catch (error) {
      const status = error instanceof OAuthError ? (error.code ?? 500) : 500
      send(res, status, response.headers as Record<string, string>, { error: error instanceof OAuthError ? error.name : 'server_error' })
    }
  }

  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    counts.allRequests += 1
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const handler = path === '/token' ? handleToken : path === '/api' ? handleApi : null
    if (!handler) return send(res, 404, {}, { error: 'not_found' })
    handler(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, {}, { error: 'server_error' })
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // Test servers must never keep a test process alive on their own.
  server.unref()

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  let listening = false
  const stop = async (): Promise<void> => {
    if (!listening) return
    listening = false
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  const port = await listen(0)
  listening = true
  const url = `http://127.0.0.1:${port}`
  let closedForGood = false

  return {
    url,
    tokenUrl: `${url}/token`,
    apiUrl: `${url}/api`,
    port,
    counts,
    tokenRequestLog,
    resetCounts() {
      for (const key of Object.keys(counts) as Array<keyof ServerCounts>) counts[key] = 0
      tokenRequestLog.length = 0
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds
    },
    setUserPassword(username, password) {
      passwords.set(username, password)
    },
    revokeRefreshTokens() {
      refreshTokens.clear()
    },
    revokeAccessTokens() {
      accessTokens.clear()
    },
    setIssueRefreshTokens(value) {
      issueRefreshTokens = value
    },
    setRotateRefreshTokens(value) {
      rotate = value
    },
    failNext(count, failure) {
      for (let index = 0; index < count; index += 1) failures.push(failure)
    },
    stop,
    async restart() {
      if (closedForGood) throw new Error('The OAuth test server was closed; start a new one')
      if (listening) return
      await listen(port)
      listening = true
    },
    async close() {
      closedForGood = true
      await stop()
    },
  }
}
