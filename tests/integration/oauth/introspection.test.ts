/**
 * RFC 7662 introspection requests as they go on the wire (oauth4webapi 3.8's introspectionRequest
 * with our client authentication), and what the client makes of every kind of answer. A recording
 * server on 127.0.0.1 answers as it is told: the bytes and the failure modes are the point here,
 * so it is a hand-written one; the real servers' answers are in the interop matrix.
 */
import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { introspectToken, type IntrospectionTarget } from '../../../electron/core/oauth/introspection'
import type { OAuthClientConfig } from '../../../electron/core/oauth/token-client'
import { Secret } from '../../../electron/core/secrets/secret'

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

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_req, res) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      recorded.push(entry)
      const answer = answers.shift() ?? json(200, { active: true })
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
const ACCESS = 'access/token+4711=~'

function config(overrides: Partial<OAuthClientConfig> = {}): OAuthClientConfig {
  return { tokenUrl: `${base}/oauth/token`, clientId: 'desk-client', clientSecret: new Secret(SPECIAL_SECRET), clientAuth: 'basic', scope: '', extraParams: [], ...overrides }
}

function target(overrides: Partial<IntrospectionTarget> = {}, configOverrides: Partial<OAuthClientConfig> = {}): IntrospectionTarget {
  return { endpoint: `${base}/oauth/introspect`, config: config(configOverrides), accessToken: new Secret(ACCESS), ...overrides }
}

const NOW = 1_780_000_000_000
const options = { fetch: globalThis.fetch, now: () => NOW }

describe('the request', () => {
  it('POSTs the access token with its token_type_hint, asks for JSON, and authenticates like a token request (Basic, unreserved-only encoding)', async () => {
    const result = await introspectToken(target(), options)
    expect(result).toEqual({ ok: true, value: { host: new URL(base).host, checkedAt: NOW, active: true } })
    expect(recorded).toHaveLength(1)
    const [entry] = recorded
    expect([entry!.method, entry!.path]).toEqual(['POST', '/oauth/introspect'])
    // oauth4webapi 3.8: the body is URLSearchParams(additionalParameters) with `token` set last.
    expect(entry!.body).toBe('token_type_hint=access_token&token=access%2Ftoken%2B4711%3D%7E')
    expect(entry!.headers.authorization).toBe(`Basic ${Buffer.from('desk-client:se%7Ccr%3Det%2Bx%2Fy%26z%20w', 'ascii').toString('base64')}`)
    expect(entry!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(entry!.headers.accept).toBe('application/json')
  })

  it('sends the client credentials in the body for body client authentication, and only client_id for a public client', async () => {
    await introspectToken(target({}, { clientAuth: 'body' }), options)
    await introspectToken(target({}, { clientAuth: 'none', clientSecret: null }), options)
    expect(recorded.map((entry) => [entry.headers.authorization, entry.body])).toEqual([
      [undefined, 'token_type_hint=access_token&token=access%2Ftoken%2B4711%3D%7E&client_id=desk-client&client_secret=se%7Ccr%3Det%2Bx%2Fy%26z+w'],
      [undefined, 'token_type_hint=access_token&token=access%2Ftoken%2B4711%3D%7E&client_id=desk-client'],
    ])
  })

  it('sends nothing to another origin than the token URL, nor over http:// to another computer', async () => {
    const foreign = await introspectToken(target({ endpoint: `http://localhost:${new URL(base).port}/oauth/introspect` }), options)
    expect(!foreign.ok && foreign.error.code).toBe('introspection-other-origin')
    const insecure = await introspectToken(target({ endpoint: 'http://auth.example/introspect' }, { tokenUrl: 'http://auth.example/token' }), options)
    expect(!insecure.ok && insecure.error.kind).toBe('insecure-url')
    expect(recorded).toEqual([])
  })
})

describe('the answers', () => {
  it('keeps only the non-secret fields RFC 7662 names, of the types it gives them, cleaned; an echoed token is redacted', async () => {
    answers = [
      json(200, {
        active: true,
        scope: 'read write',
        client_id: 'desk-client',
        username: 'ana\u202Eevil',
        token_type: 'Bearer',
        exp: 1_780_003_600,
        iat: 1_780_000_000,
        sub: 'user-1',
        aud: 'https://api.example',
        iss: 'https://auth.example',
        jti: ACCESS,
        custom: 'not shown',
        nbf: 'not a number',
      }),
      json(200, { active: true, aud: ['api', 7, 'crm'], exp: 'tomorrow', sub: `echo ${ACCESS}` }),
    ]
    const first = await introspectToken(target(), options)
    expect(first.ok && first.value).toEqual({
      host: new URL(base).host,
      checkedAt: NOW,
      active: true,
      scope: 'read write',
      clientId: 'desk-client',
      username: 'ana\\u{202E}evil',
      tokenType: 'Bearer',
      exp: 1_780_003_600,
      iat: 1_780_000_000,
      sub: 'user-1',
      aud: ['https://api.example'],
      iss: 'https://auth.example',
    })
    const second = await introspectToken(target(), options)
    expect(second.ok && second.value).toEqual({ host: new URL(base).host, checkedAt: NOW, active: true, aud: ['api', 'crm'], sub: '[redacted: the server echoed a secret]' })
    expect(JSON.stringify([first, second])).not.toContain(ACCESS)
  })

  it('reports an inactive token as inactive, and nothing else the server said about it (RFC 7662 2.2)', async () => {
    answers = [json(200, { active: false, scope: 'read', username: 'ana' })]
    const result = await introspectToken(target(), options)
    expect(result).toEqual({ ok: true, value: { host: new URL(base).host, checkedAt: NOW, active: false } })
  })

  it('refuses answers that are not RFC 7662 responses: no "active" boolean, not JSON, not an object', async () => {
    answers = [json(200, { active: 'true' }), (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>login</h1>'), json(200, [true])]
    for (let round = 0; round < 3; round += 1) {
      const result = await introspectToken(target(), options)
      expect(!result.ok && result.error).toMatchObject({ kind: 'invalid-response', code: 'introspection-response' })
    }
  })

  it('reports a refused client with the server words (secrets redacted) and says what that means', async () => {
    answers = [json(401, { error: 'invalid_client', error_description: `bad secret ${SPECIAL_SECRET}` })]
    const result = await introspectToken(target(), options)
    expect(!result.ok && result.error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401 })
    expect(!result.ok && result.error.message).not.toContain(SPECIAL_SECRET)
    expect(!result.ok && result.error.hint).toMatch(/only resource servers .* The token itself may still be fine/)
  })

  it('reports a challenge, a 404 and a 503 by their status, each with what to do next', async () => {
    answers = [
      (_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end(),
      (_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nothing</h1>'),
      (_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>'),
    ]
    const challenged = await introspectToken(target(), options)
    expect(!challenged.ok && challenged.error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401 })
    const missing = await introspectToken(target(), options)
    expect(!missing.ok && missing.error).toMatchObject({ kind: 'invalid-response', code: 'introspection-status', httpStatus: 404 })
    expect(!missing.ok && missing.error.hint).toMatch(/discovery again in Settings/)
    const down = await introspectToken(target(), options)
    expect(!down.ok && down.error).toMatchObject({ kind: 'invalid-response', code: 'introspection-status', httpStatus: 503, hint: 'Try again later.' })
  })

  it('does not follow a redirect with the token', async () => {
    answers = [(_req, res) => res.writeHead(307, { location: 'https://elsewhere.example/introspect' }).end()]
    const result = await introspectToken(target(), options)
    expect(!result.ok && result.error).toMatchObject({ kind: 'network', code: 'redirect', message: expect.stringMatching(/^The introspection endpoint \(.*\) answered with a redirect \(HTTP 3\d\d\); it was not followed\.$/) })
    expect(recorded).toHaveLength(1)
  })

  it('gives up on a server that never answers within its deadline', async () => {
    answers = [() => undefined]
    const result = await introspectToken(target(), { ...options, timeoutMs: 300 })
    expect(!result.ok && result.error).toMatchObject({ kind: 'network', code: 'timeout' })
  })
})
