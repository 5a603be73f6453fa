/**
 * A small HTTP server on 127.0.0.1 with the answers that tell Electron's net.fetch from Node's
 * fetch: a cookie-setting token endpoint, a cacheable API, a header in UTF-8 above U+00FF, a
 * redirect, and a body large enough that nobody reads it by accident. It records what each
 * request carried, so tests can see cookies sent back and answers served from a cache.
 */
import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export const NET_ACCESS_TOKEN = 'net-behaviour-access-token'
/** A realm as a proxy or a Latin-1-unaware server sends it: UTF-8 bytes, one above U+00FF. */
export const NON_LATIN1_REALM = 'Zürich ☃ Ωmega'
export const REDIRECT_TARGET = 'https://login.elsewhere.invalid/oauth/token?tenant=secret-tenant'

export interface RecordedRequest {
  readonly path: string
  readonly method: string
  readonly cookie: string | undefined
}

export interface NetBehaviourServer {
  readonly origin: string
  url(path: string): string
  readonly requests: ReadonlyArray<RecordedRequest>
  hits(path: string): number
  close(): Promise<void>
}

const tokenBody = JSON.stringify({ access_token: NET_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 })

type Route = (req: IncomingMessage, res: ServerResponse) => void

const ROUTES: Readonly<Record<string, Route>> = {
  '/token-with-cookie': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'sticky-session=abc123; Path=/; HttpOnly' })
    res.end(tokenBody)
  },
  '/token-non-latin1-header': (_req, res) => {
    // Node refuses such a string in a header; written as its UTF-8 bytes, one byte per character.
    res.setHeader('x-realm', Buffer.from(NON_LATIN1_REALM, 'utf8').toString('latin1'))
    res.setHeader('content-type', 'application/json')
    // A Buffer body: with a string one, Node writes the head in the body's encoding (UTF-8).
    res.end(Buffer.from(tokenBody))
  },
  '/token-non-latin1-reason': (_req, res) => {
    res.writeHead(200, Buffer.from(NON_LATIN1_REALM, 'utf8').toString('latin1'), { 'content-type': 'application/json' })
    res.end(Buffer.from(tokenBody))
  },
  '/token-redirect': (_req, res) => {
    res.writeHead(302, { location: REDIRECT_TARGET })
    res.end()
  },
  '/api-cacheable': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' })
    res.end('{"items":[]}')
  },
  '/api-large': (_req, res) => {
    // More than the socket buffers take at once: the body is only gone when the client reads it.
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(`{"padding":"${'x'.repeat(4 * 1024 * 1024)}"}`)
  },
}

export async function startNetBehaviourServer(): Promise<NetBehaviourServer> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    requests.push({ path, method: req.method ?? 'GET', cookie: req.headers.cookie })
    req.resume()
    const route = ROUTES[path]
    if (route) route(req, res)
    else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.keepAliveTimeout = 5_000
  server.unref()
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    hits: (path) => requests.filter((request) => request.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}
