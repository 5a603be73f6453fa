/**
 * Servers that misbehave on purpose, for what a real authorization server never produces: web
 * pages, broken JSON, a 100 MB body, a trickle, a reset mid-body, redirects, odd token fields,
 * rate limits; and an HTTPS server with a self-signed certificate. All on 127.0.0.1.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const HOSTILE_ACCESS_TOKEN = 'hostile-access-token'
/** Where the redirect route points: a host that does not exist, in case a client did follow. */
export const REDIRECT_TARGET = 'https://login.elsewhere.invalid/oauth/token?tenant=secret-tenant'
export const HUGE_BODY_BYTES = 100 * 1024 * 1024
/** Text inside the HTML pages; an error message must never repeat it. */
export const PAGE_MARKER = 'PROXY-LOGIN-PAGE-MARKER'

interface RouteStats {
  hits: number
  bytesSent: number
}

type Route = (req: IncomingMessage, res: ServerResponse, stats: RouteStats) => void

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Route => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

const token = (fields: Record<string, unknown>): Route => json({ access_token: HOSTILE_ACCESS_TOKEN, token_type: 'Bearer', ...fields })

const page = (status: number): Route => (_req, res) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  res.end(`<!doctype html><html><body><h1>${PAGE_MARKER}</h1><form>Sign in</form></body></html>`)
}

/** Streams up to 100 MB in 64 KiB chunks, honouring backpressure, until the client goes away. */
function huge(declareLength: boolean): Route {
  return (_req, res, stats) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(HUGE_BODY_BYTES) } : {}) })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    chunk.write('{"access_token":"')
    const pump = (): void => {
      while (stats.bytesSent < HUGE_BODY_BYTES && !res.destroyed) {
        const piece = stats.bytesSent === 0 ? chunk : Buffer.alloc(64 * 1024, 0x61)
        stats.bytesSent += piece.byteLength
        if (!res.write(piece)) return void res.once('drain', pump)
      }
      if (!res.destroyed) res.end()
    }
    pump()
  }
}

/** Sends the headers, then one byte every 100 ms; never finishes on its own. */
const trickle: Route = (_req, res, stats) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('{')
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer)
    stats.bytesSent += 1
    res.write(' ')
  }, 100)
  timer.unref()
  res.on('close', () => clearInterval(timer))
}

const hang: Route = (req) => {
  // Never answers; the socket is closed when the client gives up or the server closes.
  req.resume()
}

/** Starts a token response, then drops the connection: with a TCP reset, or a plain close. */
const cut = (reset: boolean): Route => (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
  res.write('{"access_token":"partial')
  setTimeout(() => (reset ? req.socket.resetAndDestroy() : req.socket.destroy()), 30).unref()
}

/** What a token request carried, as the server received it. */
interface ReceivedRequest {
  readonly body: string
  readonly params: URLSearchParams
  readonly authorization: string
}

/** Reads the request, then answers with what `answer` makes of it (the echo modes). */
const withRequest = (answer: (request: ReceivedRequest, res: ServerResponse) => void): Route => (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    answer({ body, params: new URLSearchParams(body), authorization: req.headers.authorization ?? '' }, res)
  })
}

const echoError = (describe: (request: ReceivedRequest) => Record<string, unknown>): Route =>
  withRequest((request, res) => {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'invalid_grant', ...describe(request) }))
  })

/** The secret the grant sent: the password, or the refresh token on a refresh. */
const grantSecret = (params: URLSearchParams): string => params.get('password') ?? params.get('refresh_token') ?? ''

/**
 * Issue 11's attacks, one route each: a server that echoes the request's secrets in every way a
 * real one has been seen to (raw, form-encoded, percent-encoded, Basic header, JSON-escaped, in
 * `error` itself, in the reason phrase), and one that sends control, bidi or header-injecting
 * characters in the fields a client shows or prints.
 */
export const ECHO_ROUTES = [
  '/echo/raw',
  '/echo/form-body',
  '/echo/percent',
  '/echo/basic-header',
  '/echo/json-escaped',
  '/echo/in-error',
  '/echo/username-oracle',
  '/echo/error-uri',
  '/echo/nested',
  '/echo/status-text',
  '/echo/scope',
] as const

const ECHO: Readonly<Record<(typeof ECHO_ROUTES)[number], Route>> = {
  '/echo/raw': echoError(({ params }) => ({ error_description: `Bad password ${grantSecret(params)} for ${params.get('username') ?? ''}` })),
  '/echo/form-body': echoError(({ body }) => ({ error_description: `Could not parse ${body}` })),
  '/echo/percent': echoError(({ params }) => ({
    error_description: `rejected ${encodeURIComponent(grantSecret(params))} and ${encodeURIComponent(params.get('client_secret') ?? '')}`,
  })),
  '/echo/basic-header': echoError(({ authorization }) => ({ error_description: `invalid credentials in Authorization: ${authorization}` })),
  // The secrets JSON-escaped inside the description (a server that logs its input as JSON).
  '/echo/json-escaped': echoError(({ params }) => ({
    error_description: `received ${JSON.stringify({ password: grantSecret(params), client_secret: params.get('client_secret') })}`,
  })),
  '/echo/in-error': withRequest(({ params, authorization }, res) => {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: `bad_${grantSecret(params)}_${authorization}`, error_description: 'see error' }))
  }),
  '/echo/username-oracle': echoError(({ params }) => ({ error_description: `unknown user alice.${grantSecret(params)}@example` })),
  '/echo/error-uri': echoError(({ params }) => ({ error_uri: `https://errors.example/?p=${encodeURIComponent(grantSecret(params))}` })),
  '/echo/nested': echoError(({ params }) => ({ error_description: 'see details', details: { sent: [grantSecret(params)] } })),
  '/echo/status-text': withRequest(({ body }, res) => {
    // A reason phrase is latin1 on the wire; the form-encoded body fits.
    res.writeHead(401, `Rejected ${body}`.replace(/[^\x20-\x7e]/g, '?'), { 'content-type': 'text/plain' })
    res.end('no')
  }),
  '/echo/scope': withRequest(({ params }, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ access_token: HOSTILE_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 60, scope: `read ${encodeURIComponent(grantSecret(params))}` }))
  }),
}

const ROUTES: Readonly<Record<string, Route>> = {
  ...ECHO,
  '/inject/scope-escape': token({ scope: 'read\u001b]0;owned\u0007\u001b[2J' }),
  '/inject/scope-bidi': token({ scope: 'read \u202Eetirw' }),
  '/inject/access-token-crlf': json({ access_token: 'abc\r\nX-Injected: 1', token_type: 'Bearer', expires_in: 60 }),
  '/inject/access-token-space': json({ access_token: 'abc def', token_type: 'Bearer', expires_in: 60 }),
  '/inject/access-token-unicode': json({ access_token: 'tökén', token_type: 'Bearer', expires_in: 60 }),
  '/inject/refresh-token-control': token({ refresh_token: 'r\u0000x', expires_in: 60 }),
  '/inject/description': json({ error: 'invalid_grant', error_description: 'Wrong\r\nhint: all fine\u001b[2J \u202Eevil\u009b \u200bx' }, 400),
  '/inject/token-type': token({ token_type: 'mac\u001b[31m' }),
  '/expires/huge': token({ expires_in: 1e13 }),
  '/expires/huge-308': token({ expires_in: 1e308 }),

  '/ok': token({ expires_in: 3600, refresh_token: 'hostile-refresh-token', scope: 'read' }),
  '/html': page(200),
  '/html-502': page(502),
  '/html-400': page(400),
  '/text': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('access_token=abc&token_type=bearer')
  },
  '/json-array': json('[{"access_token":"x","token_type":"Bearer"}]'),
  '/json-broken': json('{"access_token": "x", "token_type": '),
  '/huge': huge(false),
  '/huge-declared': huge(true),
  '/trickle': trickle,
  '/hang': hang,
  '/reset': cut(true),
  '/close': cut(false),
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: REDIRECT_TARGET })
    res.end()
  },
  '/redirect-relative': (_req, res) => {
    res.writeHead(307, { location: '/ok' })
    res.end()
  },
  '/token-type/mac': token({ token_type: 'mac' }),
  '/token-type/dpop': token({ token_type: 'DPoP' }),
  '/token-type/upper': token({ token_type: 'BEARER', expires_in: 60 }),
  '/expires/string': token({ expires_in: '3600' }),
  '/expires/number': token({ expires_in: 3600 }),
  '/expires/negative': token({ expires_in: -5 }),
  '/expires/zero': token({ expires_in: 0 }),
  '/expires/garbage': token({ expires_in: 'soon' }),
  '/expires/trailing-garbage': token({ expires_in: '12abc' }),
  '/expires/null': token({ expires_in: null }),
  '/expires/absent': token({}),
  '/missing/access-token': json({ token_type: 'Bearer', expires_in: 3600 }),
  '/missing/token-type': json({ access_token: HOSTILE_ACCESS_TOKEN, expires_in: 3600 }),
  '/bad/refresh-token-type': token({ refresh_token: 12345 }),
  '/429': json({ message: 'slow down' }, 429, { 'retry-after': '7' }),
  '/429-no-retry-after': json({ message: 'slow down' }, 429),
  '/503': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '120' })
    res.end('Service Unavailable')
  },
  '/500-json-error': json({ error: 'server_error', error_description: 'database down' }, 500),
  '/401-challenge': json({ error: 'invalid_client', error_description: 'Client authentication failed' }, 401, {
    'www-authenticate': 'Basic realm="token"',
  }),
  '/echo-secret': (req, res) => {
    // A server that repeats what it got in its error description: the client must redact it.
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: `Bad password ${params.get('password') ?? ''} for ${params.get('username') ?? ''}` }))
    })
  },
}

export interface HostileServer {
  readonly origin: string
  url(path: string): string
  hits(path: string): number
  bytesSent(path: string): number
  close(): Promise<void>
}

function track(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.unref()
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

export async function startHostileServer(): Promise<HostileServer> {
  const stats = new Map<string, RouteStats>()
  const statsOf = (path: string): RouteStats => {
    let entry = stats.get(path)
    if (!entry) stats.set(path, (entry = { hits: 0, bytesSent: 0 }))
    return entry
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const entry = statsOf(path)
    entry.hits += 1
    const route = ROUTES[path]
    if (route) route(req, res, entry)
    else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    }
  })
  // Request sockets that linger after a test (trickle, hang) must not hold the server open.
  server.keepAliveTimeout = 100
  const close = track(server)
  const port = await listen(server)
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    url: (path) => `${origin}${path}`,
    hits: (path) => stats.get(path)?.hits ?? 0,
    bytesSent: (path) => stats.get(path)?.bytesSent ?? 0,
    close,
  }
}

export interface TlsServer {
  readonly url: string
  readonly hits: () => number
  /** The certificate (PEM), for a client told to trust it (NODE_EXTRA_CA_CERTS). */
  readonly certificate: string
  close(): Promise<void>
}

/** An HTTPS token endpoint on 127.0.0.1 with a certificate made just now, signed by itself. */
export async function startSelfSignedServer(): Promise<TlsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dsd-tls-'))
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', keyPath, '-out', certPath,
    ])
    const [key, cert] = await Promise.all([readFile(keyPath), readFile(certPath)])
    let hits = 0
    const server = createHttpsServer({ key, cert }, (_req, res) => {
      hits += 1
      token({ expires_in: 3600 })(_req, res, { hits, bytesSent: 0 })
    })
    const close = track(server)
    const port = await listen(server)
    return { url: `https://127.0.0.1:${port}/token`, hits: () => hits, certificate: cert.toString('utf8'), close }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
