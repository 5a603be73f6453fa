/**
 * RFC 7009 revocation requests as they go on the wire (oauth4webapi 3.8's revocationRequest with
 * our client authentication), and what the client makes of every kind of answer. A recording
 * server on 127.0.0.1 answers as it is told: the bytes and the failure modes are the point here,
 * so it is a hand-written one; the real servers' behaviour is in the interop matrix.
 */
import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { revokeTokens, type RevocationTarget } from '../../../electron/core/oauth/revocation'
import type { OAuthClientConfig } from '../../../electron/core/oauth/token-client'
import { Secret } from '../../../electron/core/secrets/secret'
import { revocationText } from '../../../shared/revocation'

interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

type Answer = (req: Recorded, res: ServerResponse) => void

let server: ReturnType<typeof createServer>
let base = ''
let recorded: Recorded[] = []
let answers: Answer[] = []
const sockets = new Set<Socket>()

const ok: Answer = (_req, res) => res.writeHead(200, { 'content-length': '0' }).end()

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      recorded.push(entry)
      const answer = answers.shift() ?? ok
      answer(entry, res)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.unref()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

beforeEach(() => {
  recorded = []
  answers = []
})

const SPECIAL_SECRET = 'se|cr=et+x/y&z w'
const REFRESH = 'refresh.token-4711_~'
const ACCESS = 'access/token+4711='

function config(overrides: Partial<OAuthClientConfig> = {}): OAuthClientConfig {
  return { tokenUrl: `${base}/oauth/token`, clientId: 'desk-client', clientSecret: new Secret(SPECIAL_SECRET), clientAuth: 'basic', scope: '', extraParams: [], ...overrides }
}

function target(overrides: Partial<RevocationTarget> = {}, configOverrides: Partial<OAuthClientConfig> = {}): RevocationTarget {
  return { endpoint: `${base}/oauth/revoke`, config: config(configOverrides), refreshToken: new Secret(REFRESH), accessToken: new Secret(ACCESS), ...overrides }
}

const options = { fetch: globalThis.fetch, now: () => Date.now() }

describe('the request', () => {
  it('revokes the refresh token first, then the access token, each with its token_type_hint, authenticated like a token request (Basic, unreserved-only encoding)', async () => {
    const report = await revokeTokens(target(), options)
    expect(report).toEqual({ host: new URL(base).host, revoked: ['refresh-token', 'access-token'] })
    expect(recorded.map((entry) => [entry.method, entry.path])).toEqual([
      ['POST', '/oauth/revoke'],
      ['POST', '/oauth/revoke'],
    ])
    // oauth4webapi 3.8: the body is URLSearchParams(additionalParameters) with `token` set last.
    expect(recorded.map((entry) => entry.body)).toEqual([
      // URLSearchParams form-encodes `~` too.
      'token_type_hint=refresh_token&token=refresh.token-4711_%7E',
      'token_type_hint=access_token&token=access%2Ftoken%2B4711%3D',
    ])
    const basic = `Basic ${Buffer.from('desk-client:se%7Ccr%3Det%2Bx%2Fy%26z%20w', 'ascii').toString('base64')}`
    for (const entry of recorded) {
      expect(entry.headers.authorization).toBe(basic)
      expect(entry.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    }
    expect(revocationText(report!)).toBe(`Revoked the refresh token and the access token at ${new URL(base).host}.`)
  })

  it('sends the client credentials in the body for body client authentication, and only client_id for a public client', async () => {
    await revokeTokens(target({ accessToken: null }, { clientAuth: 'body' }), options)
    await revokeTokens(target({ accessToken: null }, { clientAuth: 'none', clientSecret: null }), options)
    expect(recorded.map((entry) => [entry.headers.authorization, entry.body])).toEqual([
      [undefined, 'token_type_hint=refresh_token&token=refresh.token-4711_%7E&client_id=desk-client&client_secret=se%7Ccr%3Det%2Bx%2Fy%26z+w'],
      [undefined, 'token_type_hint=refresh_token&token=refresh.token-4711_%7E&client_id=desk-client'],
    ])
  })

  it('sends nothing when the revocation endpoint is on another origin than the token URL', async () => {
    const report = await revokeTokens(target({ endpoint: `http://localhost:${new URL(base).port}/oauth/revoke` }), options)
    expect(recorded).toEqual([])
    expect(report?.revoked).toEqual([])
    expect(report?.error?.code).toBe('revocation-other-origin')
    expect(revocationText(report!)).toMatch(/^Could not revoke the tokens at localhost:\d+: Nothing was sent: the revocation endpoint is on localhost:\d+, not on 127\.0\.0\.1:\d+ where the tokens came from \(the tokens expire on their own\)\.$/)
  })

  it('sends nothing over http:// to a host that is not this computer', async () => {
    const report = await revokeTokens(target({ endpoint: 'http://auth.example/revoke' }, { tokenUrl: 'http://auth.example/token' }), options)
    expect(recorded).toEqual([])
    expect(report?.error?.kind).toBe('insecure-url')
  })

  it('has nothing to do without tokens', async () => {
    expect(await revokeTokens(target({ refreshToken: null, accessToken: null }), options)).toBeNull()
    expect(recorded).toEqual([])
  })
})

describe('the answers', () => {
  it('reports an OAuth refusal of the refresh token with the server words (an echoed token redacted), and still revokes the access token', async () => {
    answers = [
      (_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unsupported_token_type', error_description: `cannot revoke ${REFRESH}` })),
    ]
    const report = await revokeTokens(target(), options)
    expect(report?.revoked).toEqual(['access-token'])
    expect(report?.error).toMatchObject({ kind: 'oauth', code: 'unsupported_token_type', httpStatus: 400 })
    expect(report?.error?.message).not.toContain(REFRESH)
    expect(revocationText(report!)).toMatch(/^Revoked the access token at 127\.0\.0\.1:\d+; the rest could not be revoked: .*unsupported_token_type.*\(it expires on its own\)\.$/)
  })

  it('reports a 503 and an authentication challenge by their status', async () => {
    answers = [
      (_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>'),
      (_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end(),
    ]
    const report = await revokeTokens(target(), options)
    expect(report?.revoked).toEqual([])
    expect(report?.error).toMatchObject({ kind: 'invalid-response', code: 'revocation-status', httpStatus: 503 })
    expect(recorded).toHaveLength(2)
    answers = [(_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end()]
    const refused = await revokeTokens(target({ accessToken: null }), options)
    expect(refused?.error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401 })
  })

  it('does not follow a redirect with the credentials', async () => {
    answers = [(_req, res) => res.writeHead(302, { location: 'https://elsewhere.example/revoke' }).end()]
    const report = await revokeTokens(target({ accessToken: null }), options)
    expect(report?.error).toMatchObject({ kind: 'network', code: 'redirect', message: expect.stringMatching(/^The revocation endpoint \(.*\) answered with a redirect \(HTTP 3\d\d\); it was not followed\.$/) })
    expect(recorded).toHaveLength(1)
  })

  it('gives up on a server that never answers within its budget, and does not try the second token there', async () => {
    answers = [() => undefined, () => undefined]
    const started = Date.now()
    const report = await revokeTokens(target(), { ...options, timeoutMs: 400 })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(report?.revoked).toEqual([])
    expect(report?.error).toMatchObject({ kind: 'network', code: 'timeout' })
    expect(recorded).toHaveLength(1)
    expect(revocationText(report!)).toMatch(/^Could not revoke the tokens at 127\.0\.0\.1:\d+: .* \(the tokens expire on their own\)\.$/)
  })

  it('reports a refused connection without trying the second token', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const report = await revokeTokens(target({ endpoint: `http://127.0.0.1:${port}/revoke` }, { tokenUrl: `http://127.0.0.1:${port}/token` }), options)
    expect(report?.error).toMatchObject({ kind: 'network', code: 'refused' })
    expect(report?.revoked).toEqual([])
  })
})
