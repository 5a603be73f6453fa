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
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export async function startHoldingProxy(targetTokenUrl: string): Promise<HoldingProxy> {
  let arrived = 0
  let releaseAll: (() => void) | null = null
  let gate: Promise<void> = new Promise((resolve) => (releaseAll = resolve))
  const arrivalWaiters = new Set<() => void>()

  const server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req)
      arrived += 1
      for (const wake of arrivalWaiters) wake()
      await gate
      const headers: Record<string, string> = {}
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name]
        if (typeof value === 'string') headers[name] = value
      }
      const answer = await fetch(targetTokenUrl, { method: req.method ?? 'POST', headers, body: payload.length > 0 ? payload : null })
      const text = await answer.text()
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

  return {
    tokenUrl: `http://127.0.0.1:${port}/token`,
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
