/**
 * Issue 11, items 3, 4 and 6 at the token client, the one place server text enters the core: a
 * hostile server (tests/support/hostile-server.ts) echoes every secret of the request in every
 * encoding the client sends, or answers with control, bidi and header-injecting characters. Every
 * encoded form of every secret is searched for in the whole result, and server fields that held
 * one must be replaced whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientAuthMethod } from '../../../shared/datasource'
import type { AppError, Result } from '../../../shared/errors'
import { basicForms, ECHOED_SECRET, wireForms } from '../../../electron/core/oauth/redaction'
import { MAX_EXPIRES_IN_SECONDS } from '../../../electron/core/oauth/token-errors'
import { checkApi, requestPasswordToken, requestRefreshedToken, type IssuedToken, type OAuthClientConfig, type TokenRequestOptions } from '../../../electron/core/oauth/token-client'
import { Secret } from '../../../electron/core/secrets/secret'
import { ECHO_ROUTES, startHostileServer, type HostileServer } from '../../support/hostile-server'
import { FETCH_IMPLEMENTATIONS } from '../../support/fetch-implementations'

const T0 = 1_750_000_000_000
describe.each(FETCH_IMPLEMENTATIONS)('over $name', ({ create }) => {
  const implementation = create()
  afterAll(() => implementation.close())
  const options: TokenRequestOptions = { fetch: implementation.fetch, now: () => T0 }
  // Characters every encoding treats differently: space, +, /, =, &, %, ~, quotes, backslash, non-ASCII.
  const CLIENT_ID = 'desk client~1'
  const CLIENT_SECRET = 'cl1ent sec+ret/=&%~"\\ü'
  const PASSWORD = 'pa55 w+o/r=d&%~"\\é'
  const REFRESH_TOKEN = 'refresh+tok/en=~x'

  /** Every form in which the request's secrets left the client. */
  const FORMS = [...wireForms(CLIENT_SECRET), ...wireForms(PASSWORD), ...wireForms(REFRESH_TOKEN), ...basicForms(CLIENT_ID, CLIENT_SECRET)]

  let hostile: HostileServer
  beforeAll(async () => {
    hostile = await startHostileServer()
  })
  afterAll(async () => {
    await hostile.close()
  })

  const config = (path: string, clientAuth: ClientAuthMethod): OAuthClientConfig => ({
    tokenUrl: hostile.url(path),
    clientId: CLIENT_ID,
    clientSecret: new Secret(CLIENT_SECRET),
    clientAuth,
    scope: '',
    extraParams: [],
  })

  function leaks(value: unknown): string[] {
    const text = JSON.stringify(value)
    return FORMS.filter((form) => text.includes(form))
  }

  function failure(result: Result<IssuedToken>): AppError {
    if (result.ok) throw new Error('expected a failure, got a token')
    return result.error
  }

  describe('a server that echoes the request (item 3)', () => {
    it('the search can fail: the forms include what the echo routes send back', () => {
      expect(FORMS).toContain(new URLSearchParams({ p: PASSWORD }).toString().slice(2))
      expect(FORMS).toContain(Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'))
      expect(leaks({ description: `x ${encodeURIComponent(PASSWORD)} y` })).not.toEqual([])
    })

    for (const clientAuth of ['basic', 'basic-raw', 'body'] as const) {
      for (const route of ECHO_ROUTES) {
        it(`${route} with ${clientAuth}: no encoded form of any secret, the field replaced whole`, async () => {
          for (const result of [
            await requestPasswordToken(config(route, clientAuth), 'alice', new Secret(PASSWORD), options),
            await requestRefreshedToken(config(route, clientAuth), new Secret(REFRESH_TOKEN), options),
          ]) {
            expect(leaks(result)).toEqual([])
            const shown = JSON.stringify(result.ok ? result.value.meta : result.error)
            // Never a partial redaction that shows where a secret sits inside the rest.
            expect(shown).not.toMatch(/alice\.|\[redacted\]/)
            if (route === '/echo/scope') {
              expect(result.ok && result.value.meta.grantedScope).toBe(ECHOED_SECRET)
            } else if (route === '/echo/status-text') {
              expect(failure(result).message).toContain(ECHOED_SECRET)
            } else if (route === '/echo/error-uri') {
              expect(failure(result).errorUri).toBe(ECHOED_SECRET)
            } else if (route === '/echo/in-error') {
              expect(failure(result).code).toBe(ECHOED_SECRET)
            } else if (route !== '/echo/nested' && !(route === '/echo/basic-header' && clientAuth === 'body')) {
              expect(failure(result).errorDescription).toBe(ECHOED_SECRET)
            }
          }
        })
      }
    }

    it('the API check does not repeat the access token from a reason phrase', async () => {
      const check = await checkApi(hostile.url('/echo/status-text'), new Secret('api-token-value'), options)
      expect(check.status).toBe(401)
      expect(JSON.stringify(check)).not.toContain('api-token-value')
    })
  })

  describe('control, bidi and header-injecting characters (item 4)', () => {
    const request = (path: string) => requestPasswordToken(config(path, 'basic'), 'alice', new Secret(PASSWORD), options)

    it.each([
      ['/inject/access-token-crlf', 'invalid-access-token'],
      ['/inject/access-token-space', 'invalid-access-token'],
      ['/inject/access-token-unicode', 'invalid-access-token'],
      ['/inject/refresh-token-control', 'invalid-refresh-token'],
      ['/inject/scope-escape', 'invalid-scope-value'],
      ['/inject/scope-bidi', 'invalid-scope-value'],
    ])('%s is refused as %s, with a clear message', async (path, code) => {
      const error = failure(await request(path))
      expect(error).toMatchObject({ kind: 'invalid-response', code })
      expect(error.message).toMatch(/printable ASCII|scope tokens/)
      expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/)
    })

    it('an error description is shown with visible escapes, on one line', async () => {
      const error = failure(await request('/inject/description'))
      expect(error.errorDescription).toBe('Wrong hint: all fine\\u{1B}[2J \\u{202E}evil\\u{9B} \\u{200B}x')
    })

    it('a token type is shown with visible escapes', async () => {
      const error = failure(await request('/inject/token-type'))
      expect(error.message).toContain('mac\\u{1B}[31m')
      expect(error.message).not.toContain('\u001b')
    })
  })

  describe('a huge expires_in (item 6)', () => {
    it.each(['/expires/huge', '/expires/huge-308'])('%s is capped at ten years: a finite expiry', async (path) => {
      const result = await requestPasswordToken(config(path, 'basic'), 'alice', new Secret(PASSWORD), options)
      if (!result.ok) throw new Error(result.error.message)
      expect(result.value.meta.expiresAt).toBe(T0 + MAX_EXPIRES_IN_SECONDS * 1000)
      expect(new Date(result.value.meta.expiresAt!).toISOString()).toMatch(/^20\d\d-/)
    })
  })
})
