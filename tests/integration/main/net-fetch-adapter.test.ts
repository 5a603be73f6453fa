/**
 * The app's fetch (electron/core/request-fetch.ts over the Electron net double) gives the
 * core what Node's fetch gives it, where Electron's net.fetch as is would not. Each behaviour is
 * shown over both fetches, and, where it differs, against net.fetch itself: so a test would fail
 * if the app went back to passing net.fetch to the core.
 */
import { Buffer } from 'node:buffer'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FetchLike } from '../../../electron/core/deps'
import { classifyNetworkError } from '../../../electron/core/oauth/network-errors'
import { checkApi, requestPasswordToken, type OAuthClientConfig, type TokenRequestOptions } from '../../../electron/core/oauth/token-client'
import { Secret } from '../../../electron/core/secrets/secret'
import { createRequestFetch, type ClientRequestLike, type RequestFunction } from '../../../electron/core/request-fetch'
import type { AppError } from '../../../shared/errors'
import { CHROMIUM_SOCKETS_PER_HOST, createElectronNetDouble, type ElectronNetDouble } from '../../support/electron-net-fetch-double'
import { FETCH_IMPLEMENTATIONS } from '../../support/fetch-implementations'
import { closedPort } from '../../support/hostile-server'
import { NET_ACCESS_TOKEN, NON_LATIN1_REALM, startNetBehaviourServer, type NetBehaviourServer } from '../../support/net-behaviour-server'

const T0 = 1_750_000_000_000
const PASSWORD = 'net password'

let server: NetBehaviourServer

beforeAll(async () => {
  server = await startNetBehaviourServer()
})
afterAll(async () => {
  await server.close()
})

function config(path: string): OAuthClientConfig {
  return { tokenUrl: server.url(path), clientId: 'desk', clientSecret: new Secret('net client secret'), clientAuth: 'basic', scope: '', extraParams: [] }
}

/** Fetches and drops the response without reading or cancelling its body. */
async function dropUnread(fetch: FetchLike, url: string): Promise<void> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
}

async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  for (let round = 0; round < 10; round += 1) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function failureOf(result: Awaited<ReturnType<typeof requestPasswordToken>>): AppError {
  if (result.ok) throw new Error('expected a failure, got a token')
  return result.error
}

describe.each(FETCH_IMPLEMENTATIONS)('the core over $name', ({ create }) => {
  const implementation = create()
  afterAll(() => implementation.close())
  const options: TokenRequestOptions = { fetch: implementation.fetch, now: () => T0 }

  it('reports a redirect from the token endpoint as a permanent redirect naming the target host', async () => {
    const error = failureOf(await requestPasswordToken(config('/token-redirect'), 'ana', new Secret(PASSWORD), options))
    expect(error).toMatchObject({ kind: 'network', code: 'redirect', transient: false, httpStatus: 302 })
    expect(error.message).toContain('login.elsewhere.invalid')
    expect(error.message).not.toContain('secret-tenant')
  })

  it('reads a token response carrying a header above U+00FF, and sees the header as Node does', async () => {
    const result = await requestPasswordToken(config('/token-non-latin1-header'), 'ana', new Secret(PASSWORD), options)
    expect(result.ok && result.value.accessToken.reveal()).toBe(NET_ACCESS_TOKEN)
    const response = await implementation.fetch(server.url('/token-non-latin1-header'), { signal: AbortSignal.timeout(10_000) })
    // Node reads header bytes one character per byte; the adapter hands over the same string.
    expect(response.headers.get('x-realm')).toBe(Buffer.from(NON_LATIN1_REALM, 'utf8').toString('latin1'))
    await response.body?.cancel()
    expect(implementation.net?.uncaughtErrors ?? []).toEqual([])
  })

  it('reads a token response whose status line has characters above U+00FF, and reports its reason as sent', async () => {
    const result = await requestPasswordToken(config('/token-non-latin1-reason'), 'ana', new Secret(PASSWORD), options)
    expect(result.ok && result.value.accessToken.reveal()).toBe(NET_ACCESS_TOKEN)
    expect(await checkApi(server.url('/token-non-latin1-reason'), null, options)).toMatchObject({
      status: 200,
      statusText: NON_LATIN1_REALM,
    })
    expect(implementation.net?.uncaughtErrors ?? []).toEqual([])
  })

  it('sends no cookie back that a token endpoint set, and keeps none', async () => {
    const before = server.requests.length
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await requestPasswordToken(config('/token-with-cookie'), 'ana', new Secret(PASSWORD), options)).ok).toBe(true)
    }
    const sent = server.requests.slice(before)
    expect(sent.map((request) => request.cookie)).toEqual([undefined, undefined])
    expect(implementation.net?.cookies.size ?? 0).toBe(0)
  })

  it('asks the server every time, even for an answer that says it may be cached', async () => {
    const before = server.hits('/api-cacheable')
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await checkApi(server.url('/api-cacheable'), new Secret('api token'), options)).toMatchObject({ status: 200, statusText: 'OK' })
    }
    expect(server.hits('/api-cacheable') - before).toBe(3)
  })

  it(`releases a discarded body: ${CHROMIUM_SOCKETS_PER_HOST + 1} checks of an API whose large body nobody reads all get their answer`, async () => {
    const checks = []
    for (let attempt = 0; attempt <= CHROMIUM_SOCKETS_PER_HOST; attempt += 1) {
      checks.push(await checkApi(server.url('/api-large'), new Secret('api token'), { ...options, timeoutMs: 5_000 }))
    }
    expect(checks.map((check) => check.status ?? check.error?.code)).toEqual(Array(CHROMIUM_SOCKETS_PER_HOST + 1).fill(200))
  })
  it('releases a body dropped unread once its response is garbage-collected, as Node does', async () => {
    for (let attempt = 0; attempt < CHROMIUM_SOCKETS_PER_HOST; attempt += 1) await dropUnread(implementation.fetch, server.url('/api-large'))
    await collectGarbage()
    const response = await implementation.fetch(server.url('/api-cacheable'), { signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(200)
    await response.text()
  })

  it('answers 20 token requests at once, more than the sockets a host gets', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => requestPasswordToken(config('/token-with-cookie'), 'ana', new Secret(PASSWORD), { ...options, timeoutMs: 10_000 })),
    )
    expect(results.filter((result) => result.ok)).toHaveLength(20)
  })
})

describe("net.fetch as is, which the adapter replaces (Electron's behaviour, shown on the double)", () => {
  let net: ElectronNetDouble
  beforeAll(() => {
    net = createElectronNetDouble()
  })
  afterAll(() => net.close())
  const rawOptions = (): TokenRequestOptions => ({ fetch: (input, init) => net.fetch(input, init), now: () => T0 })

  it('turns a redirecting token endpoint into a transient failure, retried forever', async () => {
    const error = failureOf(await requestPasswordToken(config('/token-redirect'), 'ana', new Secret(PASSWORD), rawOptions()))
    expect(error).toMatchObject({ kind: 'network', code: 'failed', transient: true })
    expect(error.message).not.toContain('login.elsewhere.invalid')
  })

  it('never settles on a header above U+00FF; only the deadline ends the request', async () => {
    const uncaught = net.uncaughtErrors.length
    const error = failureOf(await requestPasswordToken(config('/token-non-latin1-header'), 'ana', new Secret(PASSWORD), { ...rawOptions(), timeoutMs: 1_000 }))
    expect(error).toMatchObject({ kind: 'network', code: 'timeout' })
    expect(net.uncaughtErrors.length).toBe(uncaught + 1)
  })

  it('sends the cookie back and answers a cacheable GET from its cache', async () => {
    const before = server.requests.length
    for (let attempt = 0; attempt < 2; attempt += 1) await requestPasswordToken(config('/token-with-cookie'), 'ana', new Secret(PASSWORD), rawOptions())
    expect(server.requests.slice(before).map((request) => request.cookie)).toEqual([undefined, 'sticky-session=abc123'])
    const hits = server.hits('/api-cacheable')
    for (let attempt = 0; attempt < 3; attempt += 1) await checkApi(server.url('/api-cacheable'), new Secret('api token'), rawOptions())
    expect(server.hits('/api-cacheable') - hits).toBe(1)
  })

  it(`keeps the socket of every cancelled body: the ${CHROMIUM_SOCKETS_PER_HOST + 1}th check to the host waits out its deadline`, async () => {
    const leaking = createElectronNetDouble()
    try {
      const checks = []
      for (let attempt = 0; attempt <= CHROMIUM_SOCKETS_PER_HOST; attempt += 1) {
        checks.push(await checkApi(server.url('/api-large'), null, { fetch: (input, init) => leaking.fetch(input, init), now: () => T0, timeoutMs: 3_000 }))
      }
      expect(checks.slice(0, CHROMIUM_SOCKETS_PER_HOST).every((check) => check.status === 200)).toBe(true)
      expect(checks.at(-1)?.error).toMatchObject({ kind: 'network', code: 'timeout' })
    } finally {
      leaking.close()
    }
  })
})

describe('net::ERR_* failures reach the core as the same kinds as Node’s', () => {
  /** A net.request whose loader fails at once with Chromium's error string (no real part gives ERR_TIMED_OUT here). */
  function failingRequest(netError: string): RequestFunction {
    return () => {
      const listeners = new Map<string, (error: Error) => void>()
      const client = {
        setHeader: () => {},
        abort: () => {},
        followRedirect: () => {},
        end: () => setImmediate(() => listeners.get('error')?.(new Error(netError))),
        on(event: string, listener: (error: Error) => void) {
          listeners.set(event, listener)
          return client
        },
      }
      return client as unknown as ClientRequestLike
    }
  }

  it.each([
    ['net::ERR_CONNECTION_REFUSED', 'refused'],
    ['net::ERR_NAME_NOT_RESOLVED', 'dns'],
    ['net::ERR_TIMED_OUT', 'timeout'],
    ['net::ERR_CONNECTION_TIMED_OUT', 'timeout'],
    ['net::ERR_CERT_AUTHORITY_INVALID', 'tls'],
    ['net::ERR_CERT_COMMON_NAME_INVALID', 'tls'],
    ['net::ERR_CERT_DATE_INVALID', 'tls'],
    ['net::ERR_CONNECTION_RESET', 'reset'],
    ['net::ERR_INTERNET_DISCONNECTED', 'unreachable'],
  ])('%s is %s', async (netError, kind) => {
    const fetch: FetchLike = createRequestFetch(failingRequest(netError))
    const rejection: unknown = await fetch('https://token.example/token', { method: 'POST' }).catch((error: unknown) => error)
    expect(rejection).toBeInstanceOf(TypeError)
    expect(classifyNetworkError(rejection, { host: 'token.example', target: 'the token endpoint' }).code).toBe(kind)
  })
})

describe('the double over real sockets behaves like Electron, not like Node', () => {
  let net: ElectronNetDouble
  beforeAll(() => {
    net = createElectronNetDouble()
  })
  afterAll(() => net.close())
  afterEach(() => {
    net.uncaughtErrors.length = 0
  })

  it("rejects manual redirects with 'Redirect was cancelled' and 'error' ones with Electron's message", async () => {
    await expect(net.fetch(server.url('/token-redirect'), { redirect: 'manual' })).rejects.toThrow(/^Redirect was cancelled$/)
    await expect(net.fetch(server.url('/token-redirect'), { redirect: 'error' })).rejects.toThrow("Attempted to redirect, but redirect policy was 'error'")
  })

  it("uses no cookie and no cache with credentials: 'omit' and cache: 'no-store'", async () => {
    const own = createElectronNetDouble()
    try {
      const before = server.requests.length
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await (await own.fetch(server.url('/token-with-cookie'), { credentials: 'omit', cache: 'no-store' } as RequestInit)).text()
        await (await own.fetch(server.url('/api-cacheable'), { credentials: 'omit', cache: 'no-store' } as RequestInit)).text()
      }
      const sent = server.requests.slice(before)
      expect(sent.map((request) => request.cookie)).toEqual([undefined, undefined, undefined, undefined])
      expect(sent.filter((request) => request.path === '/api-cacheable')).toHaveLength(2)
      expect(own.cookies.size).toBe(0)
    } finally {
      own.close()
    }
  })

  it('fails with net::ERR_* messages and no code or cause', async () => {
    const refused: unknown = await net.fetch(`http://127.0.0.1:${await closedPort()}/token`).catch((error: unknown) => error)
    expect(refused).toMatchObject({ message: 'net::ERR_CONNECTION_REFUSED' })
    expect((refused as { code?: unknown }).code).toBeUndefined()
    expect((refused as { cause?: unknown }).cause).toBeUndefined()
    await expect(net.fetch('https://token.datasource-desk.invalid/token')).rejects.toThrow(/^net::ERR_NAME_NOT_RESOLVED$/)
  })

  it(`holds a socket for each cancelled large body until the ${CHROMIUM_SOCKETS_PER_HOST + 1}th request waits; aborting a signal frees one`, async () => {
    const leaking = createElectronNetDouble()
    try {
      const controllers = Array.from({ length: CHROMIUM_SOCKETS_PER_HOST }, () => new AbortController())
      for (const controller of controllers) {
        const response = await leaking.fetch(server.url('/api-large'), { signal: controller.signal })
        await response.body?.cancel()
      }
      let answered = false
      const waiting = leaking.fetch(server.url('/api-cacheable')).then((response) => {
        answered = true
        return response
      })
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(answered).toBe(false)
      controllers[0]!.abort()
      expect((await waiting).status).toBe(200)
    } finally {
      leaking.close()
    }
  })

  it('an HTTP/2 answer has an empty statusText; the adapter gives the standard one, as Node does over HTTP/1.1', async () => {
    const http2 = createElectronNetDouble({ httpVersion: '2' })
    try {
      const raw = await http2.fetch(server.url('/api-cacheable'))
      expect(raw.statusText).toBe('')
      await raw.body?.cancel()
      const adapted = await createRequestFetch((options) => http2.request(options))(server.url('/api-cacheable'))
      expect(adapted).toMatchObject({ status: 200, statusText: 'OK' })
      await adapted.text()
    } finally {
      http2.close()
    }
  })
})
