import { describe, expect, it } from 'vitest'
import { classifyNetworkError, networkCodeOf } from '../../../../electron/core/oauth/network-errors'

const context = { host: 'auth.example.com', target: 'the token endpoint' }

/** The shape Node's fetch (undici) rejects with: a TypeError with the system error as its cause. */
function nodeFetchError(code: string, message = `connect ${code}`): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) })
}

/** Electron's net.fetch rejects with Chromium's error name in the message. */
function electronError(name: string): Error {
  return new Error(`net::${name}`)
}

describe('Node fetch errors (cause codes)', () => {
  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['EHOSTUNREACH', 'unreachable'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
  ])('%s -> %s', (code, expected) => {
    expect(networkCodeOf(nodeFetchError(code)).code).toBe(expected)
  })

  it('finds a code two causes down (undici wraps socket errors twice)', () => {
    const inner = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    const error = new TypeError('terminated', { cause: new Error('socket', { cause: inner }) })
    expect(networkCodeOf(error).code).toBe('reset')
  })

  it('survives a cause chain that loops', () => {
    const error = new Error('loop') as Error & { cause?: unknown }
    error.cause = error
    expect(networkCodeOf(error)).toEqual({ code: 'failed', detail: null })
  })

  it('an unknown error is a generic, transient network failure', () => {
    expect(classifyNetworkError(new Error('something odd'), context)).toMatchObject({ kind: 'network', code: 'failed', transient: true })
    expect(classifyNetworkError('a string', context)).toMatchObject({ code: 'failed' })
  })
})

describe('Electron net.fetch errors (net::ERR_* messages)', () => {
  it.each([
    ['ERR_NAME_NOT_RESOLVED', 'dns'],
    ['ERR_NAME_RESOLUTION_FAILED', 'dns'],
    ['ERR_CONNECTION_REFUSED', 'refused'],
    ['ERR_CONNECTION_RESET', 'reset'],
    ['ERR_CONNECTION_CLOSED', 'reset'],
    ['ERR_EMPTY_RESPONSE', 'reset'],
    ['ERR_TIMED_OUT', 'timeout'],
    ['ERR_CONNECTION_TIMED_OUT', 'timeout'],
    ['ERR_CERT_AUTHORITY_INVALID', 'tls'],
    ['ERR_CERT_COMMON_NAME_INVALID', 'tls'],
    ['ERR_CERT_DATE_INVALID', 'tls'],
    ['ERR_SSL_PROTOCOL_ERROR', 'tls'],
    ['ERR_TOO_MANY_REDIRECTS', 'redirect'],
    ['ERR_INTERNET_DISCONNECTED', 'unreachable'],
    ['ERR_PROXY_CONNECTION_FAILED', 'unreachable'],
  ])('net::%s -> %s', (name, expected) => {
    expect(networkCodeOf(electronError(name)).code).toBe(expected)
  })

  it('recognises the name inside a longer message or a cause', () => {
    expect(networkCodeOf(new TypeError('Failed to fetch', { cause: new Error('request failed: net::ERR_CONNECTION_REFUSED') })).code).toBe('refused')
  })
})

describe('messages', () => {
  it('tls errors say which certificate problem, and are not transient', () => {
    const selfSigned = classifyNetworkError(nodeFetchError('DEPTH_ZERO_SELF_SIGNED_CERT'), context)
    expect(selfSigned).toMatchObject({ kind: 'network', code: 'tls', transient: false, errorDescription: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect(selfSigned.message).toContain('self-signed')
    expect(classifyNetworkError(nodeFetchError('ERR_TLS_CERT_ALTNAME_INVALID'), context).message).toContain('different host name')
    expect(classifyNetworkError(nodeFetchError('CERT_HAS_EXPIRED'), context).message).toContain('expired')
    expect(classifyNetworkError(electronError('ERR_CERT_COMMON_NAME_INVALID'), context).message).toContain('different host name')
    expect(classifyNetworkError(electronError('ERR_CERT_DATE_INVALID'), context).message).toContain('expired')
    expect(classifyNetworkError(electronError('ERR_CERT_AUTHORITY_INVALID'), context).message).toContain('self-signed')
  })

  it('name the host and the target, and carry a hint', () => {
    const error = classifyNetworkError(nodeFetchError('ENOTFOUND', 'getaddrinfo ENOTFOUND auth.example.com'), context)
    expect(error).toMatchObject({ kind: 'network', code: 'dns', transient: true })
    expect(error.message).toBe('The host name of the token endpoint (auth.example.com) could not be resolved.')
    expect(error.hint).toBeTruthy()
    expect(classifyNetworkError(nodeFetchError('ECONNREFUSED'), context).message).toBe('The token endpoint (auth.example.com) refused the connection.')
  })
})
