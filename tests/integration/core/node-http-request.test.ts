/**
 * The command line's fetch (electron/core/node-http-request.ts) on the wire: what it sends where
 * it differs from the adapter's other users, and how it fails where Node's http client refuses a
 * request. What it shares with Node's fetch and the app's adapter (redirects, hostile answers,
 * TLS, cancellation, header and reason decoding) runs over all three fetches in
 * tests/integration/oauth/*.test.ts and tests/integration/main/net-fetch-adapter.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeHttpFetch } from '../../../electron/core/node-http-request'

interface Received {
  readonly method: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

let server: Server
let baseUrl: string
const received: Received[] = []
const fetch = createNodeHttpFetch()

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function lastRequest(init?: RequestInit): Promise<Received> {
  const response = await fetch(`${baseUrl}/token`, { redirect: 'manual', ...init })
  expect(await response.json()).toEqual({ ok: true })
  return received.at(-1)!
}

it("sends Node's fetch's accept and user-agent when the request sets none, and no accept-encoding", async () => {
  const { headers } = await lastRequest()
  expect(headers.accept).toBe('*/*')
  expect(headers['user-agent']).toBe('node')
  // Nothing here decompresses, so nothing may ask for compression.
  expect(headers['accept-encoding']).toBeUndefined()
})

it("keeps the request's own accept and user-agent", async () => {
  const { headers } = await lastRequest({ headers: { Accept: 'application/json', 'User-Agent': 'oauth4webapi/v3' } })
  expect(headers.accept).toBe('application/json')
  expect(headers['user-agent']).toBe('oauth4webapi/v3')
})

it('sends a form body with its length, not chunked', async () => {
  const body = new URLSearchParams({ grant_type: 'password', username: 'ana é', password: 'p&ss=1' })
  const request = await lastRequest({ method: 'POST', body })
  expect(request.method).toBe('POST')
  expect(request.body).toBe(body.toString())
  expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
  expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body.toString())))
  expect(request.headers['transfer-encoding']).toBeUndefined()
})

describe('reads the core\'s calls without a Request, and sends what a Request would', () => {
  const calls: ReadonlyArray<readonly [string, RequestInit]> = [
    ['a form', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r é+/=' }) }],
    ['a form with its own content type and lower-case method', { method: 'post', body: new URLSearchParams({ a: '1' }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }],
    ['a string', { method: 'POST', body: 'plain ü' }],
    ['a GET with header pairs', { headers: [['authorization', 'Bearer abc'], ['accept', 'application/json']] }],
    ['a HEAD', { method: 'HEAD' }],
  ]
  it.each(calls)('%s', async (_name, init) => {
    const url = `${baseUrl}/token?q=1`
    const direct = await send(url, init)
    // A Request as input takes the Request path.
    const throughRequest = await send(new Request(url, { ...init, redirect: 'manual' }), init.method === 'HEAD' ? { method: 'HEAD' } : {})
    expect(direct).toEqual(throughRequest)
  })

  async function send(input: string | Request, init: RequestInit): Promise<Received> {
    const response = await fetch(input, { ...init, redirect: 'manual' })
    await response.arrayBuffer()
    const request = received.at(-1)!
    return { ...request, headers: { ...request.headers, host: 'any' } }
  }

  it('still refuses what fetch refuses: a body on a GET, credentials in the URL', async () => {
    await expect(fetch(`${baseUrl}/token`, { body: 'x' })).rejects.toThrow(TypeError)
    await expect(fetch(`http://user:pass@127.0.0.1:1/token`)).rejects.toThrow(TypeError)
  })
})

it("fails a scheme Node's http client cannot send as Node's fetch does: TypeError('fetch failed')", async () => {
  const failure = await fetch('ftp://127.0.0.1/token', { redirect: 'manual' }).catch((error: unknown) => error)
  expect(failure).toBeInstanceOf(TypeError)
  expect((failure as TypeError).message).toBe('fetch failed')
  expect(String((failure as TypeError).cause)).toContain('unknown scheme ftp:')
})
