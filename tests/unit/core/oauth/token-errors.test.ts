import { describe, expect, it } from 'vitest'
import {
  cleanServerText,
  MAX_EXPIRES_IN_SECONDS,
  normaliseExpiresIn,
  oauthError,
  redirectError,
  unexpectedStatusError,
  type TokenErrorContext,
} from '../../../../electron/core/oauth/token-errors'

const context: TokenErrorContext = { host: 'auth.example.com', grant: 'password', clientAuth: 'basic' }
const NOW = 1_750_000_000_000

describe('normaliseExpiresIn', () => {
  it.each([
    [3600, 3600],
    ['3600', 3600],
    [' 60 ', 60],
    ['1.5', 1.5],
    [0.5, 0.5],
  ])('accepts %j', (value, expected) => {
    expect(normaliseExpiresIn(value)).toBe(expected)
  })

  it.each([0, -1, '0', '-5', 'soon', '12abc', '', null, true, Number.NaN, Number.POSITIVE_INFINITY, [3600], { s: 1 }, '1e3'])('refuses %j', (value) => {
    expect(normaliseExpiresIn(value)).toBeNull()
  })

  it.each([1e13, 1e308, '10000000000000', MAX_EXPIRES_IN_SECONDS + 1])('caps %j at ten years (issue 11, item 6)', (value) => {
    expect(normaliseExpiresIn(value)).toBe(MAX_EXPIRES_IN_SECONDS)
    expect(MAX_EXPIRES_IN_SECONDS).toBe(315_360_000)
  })
})

describe('oauthError', () => {
  it('keeps code, status, description and uri, with the shared hint', () => {
    const error = oauthError({ error: 'invalid_scope', error_description: 'Unknown scope: bogus', error_uri: 'https://docs.example/scope' }, 400, context)
    expect(error).toEqual({
      kind: 'oauth',
      code: 'invalid_scope',
      message: 'The server did not accept the requested scope (invalid_scope).',
      hint: expect.stringContaining('scope'),
      httpStatus: 400,
      errorDescription: 'Unknown scope: bogus',
      errorUri: 'https://docs.example/scope',
    })
  })

  it('invalid_client suggests the other client authentication methods', () => {
    expect(oauthError({ error: 'invalid_client' }, 401, context).hint).toContain('"Credentials in request body" or "HTTP Basic header (not form-encoded)"')
    expect(oauthError({ error: 'invalid_client' }, 401, { ...context, clientAuth: 'body' }).hint).toContain('"HTTP Basic header"')
  })

  it('invalid_grant means different things for the password and the refresh grant', () => {
    expect(oauthError({ error: 'invalid_grant' }, 400, context).message).toContain('username or password')
    const refresh = oauthError({ error: 'invalid_grant' }, 400, { ...context, grant: 'refresh_token' })
    expect(refresh.message).toContain('refresh token')
    expect(refresh.hint).toContain('Sign in again')
  })

  it('an unknown code is kept as the code, with a generic message', () => {
    const error = oauthError({ error: 'access_denied' }, 403, context)
    expect(error).toMatchObject({ code: 'access_denied', httpStatus: 403 })
    expect(error.message).toContain('"access_denied"')
    expect(error.hint).toBeUndefined()
  })

  it('shows control, bidi and zero-width characters in server text as visible escapes', () => {
    const error = oauthError({ error: 'invalid_gr\u200bant', error_description: 'bad\r\nline \u001b[2J\u202Eevil\u0085' }, 400, context)
    expect(error.errorDescription).toBe('bad line \\u{1B}[2J\\u{202E}evil\\u{85}')
    expect(error.code).toBe('invalid_gr\\u{200B}ant')
  })

  it('a 5xx or 429 OAuth error is transient', () => {
    expect(oauthError({ error: 'temporarily_unavailable' }, 429, context).transient).toBe(true)
    expect(oauthError({ error: 'invalid_grant' }, 400, context).transient).toBeUndefined()
  })
})

describe('unexpectedStatusError', () => {
  const info = (status: number, retryAfter: string | null = null) => ({ status, statusText: 'Reason', contentType: 'text/html', retryAfter })

  it('429 is rate-limited with Retry-After seconds', () => {
    expect(unexpectedStatusError(info(429, '10'), 'h', NOW)).toMatchObject({ code: 'rate-limited', transient: true, retryAfterMs: 10_000, httpStatus: 429 })
  })

  it('503 reads an HTTP-date Retry-After', () => {
    const date = new Date(NOW + 90_000).toUTCString()
    expect(unexpectedStatusError(info(503, date), 'h', NOW)).toMatchObject({ code: 'server-error', transient: true, retryAfterMs: 90_000 })
  })

  it('500 ignores Retry-After; 404 is not transient', () => {
    expect(unexpectedStatusError(info(500, '5'), 'h', NOW).retryAfterMs).toBeUndefined()
    const notFound = unexpectedStatusError(info(404), 'h', NOW)
    expect(notFound).toMatchObject({ code: 'wrong-token-url', httpStatus: 404 })
    expect(notFound.transient).toBeUndefined()
    expect(notFound.message).toBe('The token endpoint (h) answered HTTP 404 Reason: nothing at this address accepts token requests.')
    expect(notFound.hint).toContain('Check the token URL')
    expect(notFound.cliHint).toContain('--token-url')
  })
})

describe('redirectError', () => {
  const from = new URL('https://auth.example.com/token')
  it('names only the host it points to', () => {
    const error = redirectError(302, 'https://evil.example.net/collect?steal=1', from)
    expect(error.message).toContain('evil.example.net')
    expect(error.message).not.toContain('steal')
    expect(error).toMatchObject({ kind: 'network', code: 'redirect', transient: false })
  })
  it('copes with a missing or broken Location', () => {
    expect(redirectError(302, null, from).message).toContain('another address')
    expect(redirectError(302, 'http://[bad', from).message).toContain('an invalid address')
  })
})

describe('cleanServerText', () => {
  it('truncates long text', () => {
    expect(cleanServerText('x'.repeat(2000)).length).toBeLessThan(510)
  })
})
