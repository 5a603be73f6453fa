/**
 * A token endpoint in front of the test OAuth server that holds each request until the test lets
 * it through, so that two processes can be made to renew "at the same moment" on purpose: the
 * first one's request is held while the second one starts. 127.0.0.1 only.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface HoldingProxy {
  readonly tokenUrl: string
  /** Requests that reached the proxy since it was started or last told to hold. */
  readonly arrived: number
  /** Resolves once `count` requests have arrived. */
  waitForArrivals(count: number): Promise<void>
  /** Lets every held request (and every later one) through to the server. */
  release(): void
  /** Holds requests again from now on, and counts arrivals from zero again. */
  hold(): void
  close(): Promise<void>
  /** Revocation requests passed on to `revocationUrl` (never held). */
  readonly revocations: number
  /** The bodies of the token responses passed back, oldest first (tokens included: a test proxy). */
  readonly tokenResponses: ReadonlyArray<string>
}

export interface HoldingProxyOptions {
  /**
   * Also stands in for the server's RFC 7009 endpoint at `/revoke` (passed on to this URL) and
   * serves RFC 8414 metadata for its own origin as the issuer, naming `/token` and `/revoke`.
   */
  readonly revocationUrl?: string
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export async function startHoldingProxy(targetTokenUrl: string, options: HoldingProxyOptions = {}): Promise<HoldingProxy> {
  let arrived = 0
  let revocations = 0
  const tokenResponses: string[] = []
  let origin = ''
  let releaseAll: (() => void) | null = null
  let gate: Promise<void> = new Promise((resolve) => (releaseAll = resolve))
  const arrivalWaiters = new Set<() => void>()

  const forward = async (req: IncomingMessage, target: string, payload: Buffer) => {
    const headers: Record<string, string> = {}
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    return fetch(target, { method: req.method ?? 'POST', headers, body: payload.length > 0 ? payload : null })
  }

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
      if (options.revocationUrl && req.method === 'GET' && path === '/.well-known/oauth-authorization-server') {
        const metadata = { issuer: origin, token_endpoint: `${origin}/token`, revocation_endpoint: `${origin}/revoke` }
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(metadata))
        return
      }
      const payload = await body(req)
      if (options.revocationUrl && path === '/revoke') {
        revocations += 1
        const answer = await forward(req, options.revocationUrl, payload)
        const text = await answer.text()
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain', connection: 'close' }).end(text)
        return
      }
      arrived += 1
      for (const wake of arrivalWaiters) wake()
      await gate
      const answer = await forward(req, targetTokenUrl, payload)
      const text = await answer.text()
      tokenResponses.push(text)
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store', connection: 'close' })
      res.end(text)
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end()
      else res.destroy()
    })
  })
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.unref()
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })

  origin = `http://127.0.0.1:${port}`
  return {
    tokenUrl: `${origin}/token`,
    get revocations() {
      return revocations
    },
    tokenResponses,
    get arrived() {
      return arrived
    },
    waitForArrivals(count) {
      return new Promise((resolve) => {
        const check = () => {
          if (arrived < count) return
          arrivalWaiters.delete(check)
          resolve()
        }
        arrivalWaiters.add(check)
        check()
      })
    },
    release() {
      releaseAll?.()
    },
    hold() {
      releaseAll?.()
      arrived = 0
      gate = new Promise((resolve) => (releaseAll = resolve))
    },
    close() {
      releaseAll?.()
      return new Promise((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
    },
  }
}
