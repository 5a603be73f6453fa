import { Buffer } from 'node:buffer'
import { describe, expect, it, vi } from 'vitest'
import type { AppError, Result } from '../../../../shared/errors'
import type { FetchLike } from '../../../../electron/core/deps'
import { Secret } from '../../../../electron/core/secrets/secret'
import {
  checkApi,
  requestPasswordToken,
  requestRefreshedToken,
  type IssuedToken,
  type OAuthClientConfig,
} from '../../../../electron/core/oauth/token-client'

const NOW = 1_750_000_000_000
const CONFIG: OAuthClientConfig = {
  tokenUrl: 'https://auth.example.com/oauth/token',
  clientId: 'my client',
  clientSecret: new Secret('s3cret+/='),
  clientAuth: 'basic',
  scope: 'read write',
  extraParams: [],
}
const PASSWORD = new Secret('pa ss&word')

const tokenJson = (fields: Record<string, unknown> = {}): Response =>
  new Response(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60, ...fields }), { headers: { 'content-type': 'application/json' } })

function fakeFetch(answer: () => Response | Promise<Response>) {
  return vi.fn<FetchLike>(async () => answer())
}

function sent(fetch: ReturnType<typeof fakeFetch>): { url: string; init: RequestInit; headers: Record<string, string>; body: URLSearchParams } {
  const [url, init] = fetch.mock.calls[0]!
  return { url: String(url), init: init!, headers: init!.headers as Record<string, string>, body: new URLSearchParams(init!.body as URLSearchParams) }
}

function failure(result: Result<IssuedToken>): AppError {
  if (result.ok) throw new Error('expected a failure')
  return result.error
}

describe('the token request', () => {
  it('is a form POST with Accept JSON, Basic percent-encoded credentials, scope, no redirects', async () => {
    const fetch = fakeFetch(() => tokenJson())
    const result = await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW })
    expect(result.ok).toBe(true)
    const request = sent(fetch)
    expect(request.url).toBe('https://auth.example.com/oauth/token')
    expect(request.init).toMatchObject({ method: 'POST', redirect: 'manual' })
    expect(request.init.signal).toBeInstanceOf(AbortSignal)
    expect(request.headers['accept']).toBe('application/json')
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(request.headers['authorization']).toBe(`Basic ${Buffer.from('my%20client:s3cret%2B%2F%3D').toString('base64')}`)
    expect(Object.fromEntries(request.body)).toEqual({ grant_type: 'password', username: 'ana', password: 'pa ss&word', scope: 'read write' })
  })

  it('basic-raw puts id and secret in the header exactly as typed (UTF-8)', async () => {
    const fetch = fakeFetch(() => tokenJson())
    await requestPasswordToken({ ...CONFIG, clientId: 'clïent', clientAuth: 'basic-raw' }, 'ana', PASSWORD, { fetch, now: () => NOW })
    expect(sent(fetch).headers['authorization']).toBe(`Basic ${Buffer.from('clïent:s3cret+/=', 'utf8').toString('base64')}`)
  })

  it('extra parameters cannot override the ones the client sets', async () => {
    const fetch = fakeFetch(() => tokenJson())
    const extraParams = [
      { name: 'password', value: 'injected' },
      { name: 'grant_type', value: 'client_credentials' },
      { name: 'audience', value: 'api://x' },
    ]
    await requestPasswordToken({ ...CONFIG, extraParams }, 'ana', PASSWORD, { fetch, now: () => NOW })
    expect(Object.fromEntries(sent(fetch).body)).toMatchObject({ password: 'pa ss&word', grant_type: 'password', audience: 'api://x' })
  })

  it('the refresh request carries the refresh token and extra parameters but no scope', async () => {
    const fetch = fakeFetch(() => tokenJson({ refresh_token: 'rt2', scope: 'read' }))
    const result = await requestRefreshedToken({ ...CONFIG, clientAuth: 'body', extraParams: [{ name: 'resource', value: 'r' }] }, new Secret('rt1'), { fetch, now: () => NOW })
    expect(Object.fromEntries(sent(fetch).body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt1', resource: 'r', client_id: 'my client', client_secret: 's3cret+/=' })
    expect(result.ok && result.value.meta).toMatchObject({ hasRefreshToken: true, grantedScope: 'read', requestedScope: 'read write', expiresAt: NOW + 60_000 })
    expect(result.ok && result.value.refreshToken?.reveal()).toBe('rt2')
  })

  it('allows http:// only for loopback hosts', async () => {
    const fetch = fakeFetch(() => tokenJson())
    expect((await requestPasswordToken({ ...CONFIG, tokenUrl: 'http://localhost:8080/token' }, 'ana', PASSWORD, { fetch, now: () => NOW })).ok).toBe(true)
    expect((await requestPasswordToken({ ...CONFIG, tokenUrl: 'http://[::1]:8080/token' }, 'ana', PASSWORD, { fetch, now: () => NOW })).ok).toBe(true)
    expect(fetch).toHaveBeenCalledTimes(2)
    for (const tokenUrl of ['http://10.0.0.5/token', 'http://auth.example.com/token', 'http://127.0.0.1.nip.io/token']) {
      expect(failure(await requestPasswordToken({ ...CONFIG, tokenUrl }, 'ana', PASSWORD, { fetch, now: () => NOW }))).toMatchObject({
        kind: 'insecure-url',
        code: 'http-not-loopback',
      })
    }
    expect(failure(await requestPasswordToken({ ...CONFIG, tokenUrl: 'ftp://auth.example.com/t' }, 'ana', PASSWORD, { fetch, now: () => NOW }))).toMatchObject({
      kind: 'validation',
      code: 'invalid-url',
    })
    expect(fetch).toHaveBeenCalledTimes(2)
  })
})

describe('failures of the injected fetch (as Electron net.fetch reports them)', () => {
  it.each([
    ['net::ERR_NAME_NOT_RESOLVED', 'dns'],
    ['net::ERR_CONNECTION_REFUSED', 'refused'],
    ['net::ERR_CERT_DATE_INVALID', 'tls'],
    ['net::ERR_CONNECTION_RESET', 'reset'],
  ])('%s -> %s', async (message, code) => {
    const fetch = vi.fn<FetchLike>(async () => {
      throw new Error(message)
    })
    const error = failure(await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW }))
    expect(error).toMatchObject({ kind: 'network', code })
    expect(error.message).toContain('auth.example.com')
  })

  it('a redirect response is not used, whichever fetch produced it', async () => {
    const fetch = fakeFetch(() => Response.redirect('https://other.example.org/token?x=1', 301))
    const error = failure(await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW }))
    expect(error).toMatchObject({ kind: 'network', code: 'redirect', httpStatus: 301 })
    expect(error.message).toContain('other.example.org')
  })
})

describe('the deadline and the size cap do not depend on the fetch honouring the signal', () => {
  it('a body stream that never ends and ignores the signal still times out', async () => {
    let cancelled = false
    const body = new ReadableStream<Uint8Array>({
      pull: () => new Promise(() => undefined),
      cancel: () => {
        cancelled = true
      },
    })
    const fetch = fakeFetch(() => new Response(body, { headers: { 'content-type': 'application/json' } }))
    const error = failure(await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW, timeoutMs: 50 }))
    expect(error).toMatchObject({ kind: 'network', code: 'timeout' })
    expect(cancelled).toBe(true)
  })

  it('an endless body is cut at the cap, having pulled little more than the cap', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        pulled += 1024
        controller.enqueue(new Uint8Array(1024))
      },
    })
    const fetch = fakeFetch(() => new Response(body, { headers: { 'content-type': 'application/json' } }))
    const error = failure(await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW, maxResponseBytes: 10 * 1024 }))
    expect(error).toMatchObject({ kind: 'invalid-response', code: 'too-large' })
    expect(pulled).toBeLessThan(64 * 1024)
  })

  it('a caller abort during the request gives cancelled, not timeout', async () => {
    const controller = new AbortController()
    const fetch = vi.fn<FetchLike>(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
          setTimeout(() => controller.abort(), 10)
        }),
    )
    const error = failure(await requestPasswordToken(CONFIG, 'ana', PASSWORD, { fetch, now: () => NOW, signal: controller.signal }))
    expect(error).toEqual({ kind: 'cancelled', code: 'cancelled', message: 'The request was cancelled.' })
  })
})

describe('checkApi', () => {
  it('sends the Bearer token with a GET and reports the status', async () => {
    const fetch = fakeFetch(() => new Response('{}', { status: 403, statusText: 'Forbidden' }))
    const check = await checkApi('https://api.example.com/v1/items?x=1', new Secret('tok'), { fetch, now: () => NOW })
    expect(check).toEqual({ method: 'GET', url: 'https://api.example.com/v1/items?x=1', status: 403, statusText: 'Forbidden' })
    expect(sent(fetch).init).toMatchObject({ method: 'GET', redirect: 'manual' })
    expect(sent(fetch).headers['authorization']).toBe('Bearer tok')
  })

  it('sends no Authorization without a token, and then allows http:// anywhere', async () => {
    const fetch = fakeFetch(() => new Response(null, { status: 204 }))
    const check = await checkApi('http://intranet.example/status', null, { fetch, now: () => NOW })
    expect(check.status).toBe(204)
    expect(sent(fetch).headers).not.toHaveProperty('authorization')
  })

  it('never throws: a failing fetch becomes the error', async () => {
    const fetch = vi.fn<FetchLike>(async () => {
      throw new Error('net::ERR_CONNECTION_REFUSED')
    })
    expect(await checkApi('https://api.example.com/', new Secret('tok'), { fetch, now: () => NOW })).toMatchObject({
      method: 'GET',
      error: { kind: 'network', code: 'refused' },
    })
  })
})
