import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppError, Result } from '../../../shared/errors'
import { Secret } from '../../../electron/core/secrets/secret'
import {
  checkApi,
  requestPasswordToken,
  requestRefreshedToken,
  type IssuedToken,
  type OAuthClientConfig,
  type TokenRequestOptions,
} from '../../../electron/core/oauth/token-client'
import {
  closedPort,
  HOSTILE_ACCESS_TOKEN,
  HUGE_BODY_BYTES,
  PAGE_MARKER,
  startHostileServer,
  startSelfSignedServer,
  type HostileServer,
  type TlsServer,
} from '../../support/hostile-server'
import { FETCH_IMPLEMENTATIONS } from '../../support/fetch-implementations'

const T0 = 1_750_000_000_000
/**
 * A real lookup would send a DNS query to the machine's resolver, which is off-limits for tests
 * (only 127.0.0.1 may be contacted), so this fails exactly the way Node's fetch does on ENOTFOUND.
 */
const dnsFailingFetch: TokenRequestOptions['fetch'] = async (input) => {
  const hostname = new URL(input instanceof Request ? input.url : input).hostname
  const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname })
  throw new TypeError('fetch failed', { cause })
}

describe.each(FETCH_IMPLEMENTATIONS)('over $name', ({ create }) => {
  const implementation = create()
  afterAll(() => implementation.close())
  const options: TokenRequestOptions = { fetch: implementation.fetch, now: () => T0 }
  // The double resolves no names (tests contact 127.0.0.1 only); Node's fetch gets a simulated failure.
  const dnsFetch = implementation.failsUnknownNames ? implementation.fetch : dnsFailingFetch
  const CLIENT_SECRET = 'hostile client secret'
  const PASSWORD = 'hostile password'

  let hostile: HostileServer
  let tls: TlsServer

  beforeAll(async () => {
    ;[hostile, tls] = await Promise.all([startHostileServer(), startSelfSignedServer()])
  })
  afterAll(async () => {
    await Promise.all([hostile.close(), tls.close()])
  })

  function config(tokenUrl: string): OAuthClientConfig {
    return { tokenUrl, clientId: 'client', clientSecret: new Secret(CLIENT_SECRET), clientAuth: 'basic', scope: '', extraParams: [] }
  }

  function request(path: string, extra: Partial<TokenRequestOptions> = {}): Promise<Result<IssuedToken>> {
    return requestPasswordToken(config(hostile.url(path)), 'user', new Secret(PASSWORD), { ...options, ...extra })
  }

  function failure(result: Result<IssuedToken>): AppError {
    if (result.ok) throw new Error('expected a failure, got a token')
    const text = JSON.stringify(result.error)
    expect(text).not.toContain(CLIENT_SECRET)
    expect(text).not.toContain(PASSWORD)
    expect(text).not.toContain(PAGE_MARKER)
    return result.error
  }

  function issued(result: Result<IssuedToken>): IssuedToken {
    if (!result.ok) throw new Error(`expected a token, got ${JSON.stringify(result.error)}`)
    return result.value
  }

  describe('responses that are not a usable token', () => {
    it('a 200 HTML page: not-json, naming status and content type, never the page', async () => {
      const error = failure(await request('/html'))
      expect(error).toMatchObject({ kind: 'invalid-response', code: 'not-json', httpStatus: 200 })
      expect(error.message).toContain('200')
      expect(error.message).toContain('text/html')
    })

    it('a 200 text body: not-json', async () => {
      expect(failure(await request('/text'))).toMatchObject({ code: 'not-json' })
      expect(failure(await request('/json-broken'))).toMatchObject({ code: 'not-json' })
    })

    it('JSON that is not an object: not-object', async () => {
      expect(failure(await request('/json-array'))).toMatchObject({ kind: 'invalid-response', code: 'not-object' })
    })

    it('an HTML error page from a proxy: the status, transient for 5xx only', async () => {
      const gateway = failure(await request('/html-502'))
      expect(gateway).toMatchObject({ kind: 'invalid-response', code: 'server-error', httpStatus: 502, transient: true })
      expect(gateway.message).toContain('text/html')
      const bad = failure(await request('/html-400'))
      expect(bad).toMatchObject({ code: 'unexpected-status', httpStatus: 400 })
      expect(bad.transient).toBeUndefined()
    })

    it('missing access_token and missing token_type', async () => {
      expect(failure(await request('/missing/access-token'))).toMatchObject({ kind: 'invalid-response', code: 'missing-access-token' })
      expect(failure(await request('/missing/token-type'))).toMatchObject({ kind: 'invalid-response', code: 'missing-token-type' })
    })

    it('a refresh_token that is not a string', async () => {
      expect(failure(await request('/bad/refresh-token-type'))).toMatchObject({ kind: 'invalid-response', code: 'malformed-token-response' })
    })

    it('token types other than Bearer are refused, DPoP included; BEARER in capitals is fine', async () => {
      const mac = failure(await request('/token-type/mac'))
      expect(mac).toMatchObject({ kind: 'invalid-response', code: 'unsupported-token-type' })
      expect(mac.message).toContain('"mac"')
      expect(failure(await request('/token-type/dpop'))).toMatchObject({ code: 'unsupported-token-type' })
      const upper = issued(await request('/token-type/upper'))
      expect(upper.meta).toMatchObject({ tokenType: 'BEARER', expiresAt: T0 + 60_000 })
      expect(upper.accessToken.reveal()).toBe(HOSTILE_ACCESS_TOKEN)
    })

    it('expires_in as a numeric string is accepted (Azure AD v1)', async () => {
      expect(issued(await request('/expires/string')).meta.expiresAt).toBe(T0 + 3600_000)
      expect(issued(await request('/expires/number')).meta.expiresAt).toBe(T0 + 3600_000)
      const absent = issued(await request('/expires/absent'))
      expect(absent.meta).toMatchObject({ expiresAt: null, hasRefreshToken: false, grantedScope: null })
    })

    it.each(['/expires/negative', '/expires/zero', '/expires/garbage', '/expires/trailing-garbage', '/expires/null'])(
      'expires_in that is not a positive number is refused: %s',
      async (path) => {
        expect(failure(await request(path))).toMatchObject({ kind: 'invalid-response', code: 'invalid-expires-in' })
      },
    )

    it('stops reading a 100 MB body at the cap', async () => {
      const started = Date.now()
      const error = failure(await request('/huge', { maxResponseBytes: 64 * 1024 }))
      expect(error).toMatchObject({ kind: 'invalid-response', code: 'too-large' })
      expect(error.message).toContain('64 KiB')
      expect(Date.now() - started).toBeLessThan(5_000)
      // What the socket buffers took is far below the body: the client stopped reading.
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(hostile.bytesSent('/huge')).toBeLessThan(HUGE_BODY_BYTES / 4)
    })

    it('refuses a body whose declared length is over the cap without reading it', async () => {
      expect(failure(await request('/huge-declared'))).toMatchObject({ code: 'too-large' })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(hostile.bytesSent('/huge-declared')).toBeLessThan(HUGE_BODY_BYTES / 4)
    })

    it('401 with a WWW-Authenticate challenge still reports the OAuth error in the body', async () => {
      expect(failure(await request('/401-challenge'))).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401, errorDescription: 'Client authentication failed' })
    })

    it('a JSON error with a 5xx status is a transient server error', async () => {
      expect(failure(await request('/500-json-error'))).toMatchObject({ kind: 'invalid-response', code: 'server-error', httpStatus: 500, transient: true })
    })

    it('a server echoing the password in error_description gets it redacted', async () => {
      const error = failure(await request('/echo-secret'))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_grant' })
      expect(error.errorDescription).toBe('[redacted: the server echoed a secret]')
    })
  })

  describe('rate limits', () => {
    it('429 with Retry-After: transient, with the delay', async () => {
      expect(failure(await request('/429'))).toMatchObject({ kind: 'invalid-response', code: 'rate-limited', httpStatus: 429, transient: true, retryAfterMs: 7_000 })
    })

    it('429 without Retry-After: transient, no delay', async () => {
      const error = failure(await request('/429-no-retry-after'))
      expect(error).toMatchObject({ code: 'rate-limited', transient: true })
      expect(error.retryAfterMs).toBeUndefined()
    })

    it('503 with Retry-After', async () => {
      expect(failure(await request('/503'))).toMatchObject({ code: 'server-error', httpStatus: 503, transient: true, retryAfterMs: 120_000 })
    })
  })

  describe('network failures', () => {
    it('dns: a host name that does not resolve', async () => {
      const dnsOptions = { ...options, fetch: dnsFetch }
      const result = await requestPasswordToken(config('https://token.datasource-desk.invalid/token'), 'user', new Secret(PASSWORD), dnsOptions)
      const error = failure(result)
      expect(error).toMatchObject({ kind: 'network', code: 'dns', transient: true })
      expect(error.message).toContain('token.datasource-desk.invalid')
    })

    it('refused: a closed port on 127.0.0.1', async () => {
      const port = await closedPort()
      const result = await requestPasswordToken(config(`http://127.0.0.1:${port}/token`), 'user', new Secret(PASSWORD), options)
      expect(failure(result)).toMatchObject({ kind: 'network', code: 'refused', transient: true })
    })

    it('timeout: a body trickling in slower than the deadline', async () => {
      const started = Date.now()
      const error = failure(await request('/trickle', { timeoutMs: 400 }))
      expect(error).toMatchObject({ kind: 'network', code: 'timeout', transient: true })
      expect(error.message).toContain('0.4 s')
      expect(Date.now() - started).toBeLessThan(3_000)
    })

    it('timeout: no answer at all', async () => {
      expect(failure(await request('/hang', { timeoutMs: 300 }))).toMatchObject({ kind: 'network', code: 'timeout' })
    })

    it('reset: the connection is reset, or closed, in the middle of the body', async () => {
      expect(failure(await request('/reset'))).toMatchObject({ kind: 'network', code: 'reset', transient: true })
      expect(failure(await request('/close'))).toMatchObject({ kind: 'network', code: 'reset', transient: true })
    })

    it('redirect: not followed, the target named only by its host', async () => {
      const error = failure(await request('/redirect'))
      expect(error).toMatchObject({ kind: 'network', code: 'redirect', transient: false, httpStatus: 302 })
      expect(error.message).toContain('login.elsewhere.invalid')
      expect(error.message).not.toContain('secret-tenant')
      expect(error.message).not.toContain('/oauth/token')
      expect(hostile.hits('/ok')).toBe(0)
      const relative = failure(await request('/redirect-relative'))
      expect(relative).toMatchObject({ code: 'redirect', httpStatus: 307 })
      expect(relative.message).toContain('another path on 127.0.0.1')
      expect(hostile.hits('/ok')).toBe(0)
    })

    it('tls: a self-signed certificate is refused and not retried', async () => {
      const error = failure(await requestPasswordToken(config(tls.url), 'user', new Secret(PASSWORD), options))
      expect(error).toMatchObject({ kind: 'network', code: 'tls', transient: false })
      expect(error.message).toContain('self-signed')
      expect(tls.hits()).toBe(0)
    })

    it('cancelled: the caller aborts while the answer trickles in', async () => {
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 150)
      const error = failure(await request('/trickle', { signal: controller.signal, timeoutMs: 10_000 }))
      expect(error).toMatchObject({ kind: 'cancelled', code: 'cancelled' })
    })

    it('the refresh grant goes through the same checks', async () => {
      const result = await requestRefreshedToken(config(hostile.url('/redirect')), new Secret('refresh-token-value'), options)
      expect(failure(result)).toMatchObject({ code: 'redirect' })
    })
  })

  describe('checkApi against misbehaving servers', () => {
    const token = new Secret('api-token')

    it('reports the status of a redirect instead of following it', async () => {
      expect(await checkApi(hostile.url('/redirect'), token, options)).toEqual({ method: 'GET', url: hostile.url('/redirect'), status: 302, statusText: 'Found' })
    })

    it('does not wait for a large body', async () => {
      expect(await checkApi(hostile.url('/huge'), token, options)).toMatchObject({ status: 200 })
    })

    it('returns timeout, tls, dns and refused as errors', async () => {
      expect((await checkApi(hostile.url('/hang'), token, { ...options, timeoutMs: 300 })).error).toMatchObject({ kind: 'network', code: 'timeout' })
      expect((await checkApi(tls.url, token, options)).error).toMatchObject({ kind: 'network', code: 'tls' })
      expect((await checkApi('https://api.datasource-desk.invalid/', token, { ...options, fetch: dnsFetch })).error).toMatchObject({ kind: 'network', code: 'dns' })
      const port = await closedPort()
      expect((await checkApi(`http://127.0.0.1:${port}/`, token, options)).error).toMatchObject({ kind: 'network', code: 'refused' })
      expect((await checkApi('not a url', token, options)).error).toMatchObject({ kind: 'validation', code: 'invalid-url' })
    })
  })
})
