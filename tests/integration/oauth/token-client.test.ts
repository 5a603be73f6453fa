import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AppError, Result } from '../../../shared/errors'
import type { FetchLike } from '../../../electron/core/deps'
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
  BODY_ONLY_CLIENT,
  CONFIDENTIAL_CLIENT,
  NO_PASSWORD_GRANT_CLIENT,
  PUBLIC_CLIENT,
  startOAuthServer,
  TEST_USER,
  type OAuthTestServer,
} from '../../support/oauth-server'
import { FETCH_IMPLEMENTATIONS } from '../../support/fetch-implementations'

const T0 = 1_750_000_000_000
describe.each(FETCH_IMPLEMENTATIONS)('over $name', ({ create }) => {
  const implementation = create()
  afterAll(() => implementation.close())
  const options: TokenRequestOptions = { fetch: implementation.fetch, now: () => T0 }
  const password = new Secret(TEST_USER.password)
  const ALL_SECRETS = [TEST_USER.password, CONFIDENTIAL_CLIENT.secret, BODY_ONLY_CLIENT.secret, NO_PASSWORD_GRANT_CLIENT.secret]

  let server: OAuthTestServer

  beforeAll(async () => {
    server = await startOAuthServer()
  })
  afterAll(async () => {
    await server.close()
  })
  beforeEach(() => {
    server.resetCounts()
    server.setTokenLifetime(3600)
    server.setRotateRefreshTokens(true)
  })

  function config(overrides: Partial<OAuthClientConfig> = {}): OAuthClientConfig {
    return {
      tokenUrl: server.tokenUrl,
      clientId: CONFIDENTIAL_CLIENT.id,
      clientSecret: new Secret(CONFIDENTIAL_CLIENT.secret),
      clientAuth: 'basic',
      scope: '',
      extraParams: [],
      ...overrides,
    }
  }

  function issued(result: Result<IssuedToken>): IssuedToken {
    if (!result.ok) throw new Error(`expected a token, got ${JSON.stringify(result.error)}`)
    return result.value
  }

  function failure(result: Result<IssuedToken>): AppError {
    if (result.ok) throw new Error('expected a failure, got a token')
    const text = JSON.stringify(result.error)
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret)
    return result.error
  }

  const lastRequest = () => server.tokenRequestLog.at(-1)!

  describe('password grant against a real authorization server', () => {
    it('authenticates with HTTP Basic, percent-encoding id and secret with special characters', async () => {
      const token = issued(await requestPasswordToken(config(), TEST_USER.username, password, options))

      expect(token.meta).toEqual({
        tokenType: 'Bearer',
        grantedScope: 'read',
        requestedScope: '',
        obtainedAt: T0,
        expiresAt: T0 + 3600_000,
        hasRefreshToken: true,
        expiresFrom: 'expires_in',
        idToken: 'none',
      })
      expect(token.refreshToken).not.toBeNull()
      const sent = lastRequest()
      const decoded = Buffer.from(sent.authorization!.replace(/^Basic /, ''), 'base64').toString('utf8')
      expect(decoded).toBe('desk%7Cclient%3D1%2Ba%2Fb%26c%20d:se%7Ccr%3Det%2Bx%2Fy%26z%20w')
      expect(sent.contentType).toMatch(/^application\/x-www-form-urlencoded/)
      expect(sent.params).toEqual({ grant_type: 'password', username: TEST_USER.username, password: TEST_USER.password })
      expect(server.counts).toMatchObject({ tokenRequests: 1, passwordGrants: 1, refreshGrants: 0 })
    })

    it('gets a token the protected API accepts', async () => {
      const token = issued(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(await checkApi(server.apiUrl, token.accessToken, options)).toEqual({ method: 'GET', url: server.apiUrl, status: 200, statusText: 'OK' })
      expect(await checkApi(server.apiUrl, new Secret('not-a-token'), options)).toMatchObject({ status: 401 })
      expect(await checkApi(server.apiUrl, null, options)).toMatchObject({ status: 401 })
      expect(server.counts.apiRequests).toBe(3)
    })

    it('fails with invalid_client when Basic credentials are sent without form-encoding (basic-raw)', async () => {
      const error = failure(await requestPasswordToken(config({ clientAuth: 'basic-raw' }), TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401 })
      expect(error.hint).toContain('Credentials in request body')
      const decoded = Buffer.from(lastRequest().authorization!.replace(/^Basic /, ''), 'base64').toString('utf8')
      expect(decoded).toBe(`${CONFIDENTIAL_CLIENT.id}:${CONFIDENTIAL_CLIENT.secret}`)
    })

    it('sends basic-raw credentials as typed, which works when they need no encoding', async () => {
      const plain = config({ clientId: NO_PASSWORD_GRANT_CLIENT.id, clientSecret: new Secret(NO_PASSWORD_GRANT_CLIENT.secret), clientAuth: 'basic-raw' })
      // This client may not use the password grant, so getting that far proves the client was authenticated.
      expect(failure(await requestPasswordToken(plain, TEST_USER.username, password, options)).code).toBe('unauthorized_client')
    })

    it('sends credentials in the body for a client that requires it, and that client refuses Basic', async () => {
      const body = config({ clientId: BODY_ONLY_CLIENT.id, clientSecret: new Secret(BODY_ONLY_CLIENT.secret), clientAuth: 'body' })
      issued(await requestPasswordToken(body, TEST_USER.username, password, options))
      expect(lastRequest().authorization).toBeNull()
      expect(lastRequest().params).toMatchObject({ client_id: BODY_ONLY_CLIENT.id, client_secret: BODY_ONLY_CLIENT.secret })

      const error = failure(await requestPasswordToken({ ...body, clientAuth: 'basic' }, TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 401 })
      expect(error.hint).toContain('Credentials in request body')
    })

    it('sends only client_id for a public client', async () => {
      const token = issued(
        await requestPasswordToken(config({ clientId: PUBLIC_CLIENT.id, clientSecret: null, clientAuth: 'none' }), TEST_USER.username, password, options),
      )
      expect(token.meta.tokenType).toBe('Bearer')
      expect(lastRequest().authorization).toBeNull()
      expect(lastRequest().params.client_id).toBe(PUBLIC_CLIENT.id)
      expect(lastRequest().params).not.toHaveProperty('client_secret')
    })

    it('refuses a method that needs a secret when there is none, before sending', async () => {
      const result = await requestPasswordToken(config({ clientSecret: null }), TEST_USER.username, password, options)
      expect(failure(result)).toMatchObject({ kind: 'validation', code: 'missing-client-secret' })
      expect(server.counts.allRequests).toBe(0)
    })

    it('sends the scope and the extra parameters, and reports the scope granted', async () => {
      const extraParams = [
        { name: 'audience', value: 'https://api.example/ a&b' },
        { name: 'resource', value: 'urn:x' },
      ]
      const same = issued(await requestPasswordToken(config({ scope: 'read write', extraParams }), TEST_USER.username, password, options))
      expect(same.meta).toMatchObject({ grantedScope: 'read write', requestedScope: 'read write' })
      expect(lastRequest().params).toMatchObject({ scope: 'read write', audience: 'https://api.example/ a&b', resource: 'urn:x' })

      const narrowed = issued(await requestPasswordToken(config({ scope: 'read admin' }), TEST_USER.username, password, options))
      expect(narrowed.meta).toMatchObject({ grantedScope: 'read', requestedScope: 'read admin' })
    })

    it('leaves scope out of the body when none is configured', async () => {
      issued(await requestPasswordToken(config({ scope: '  ' }), TEST_USER.username, password, options))
      expect(lastRequest().params).not.toHaveProperty('scope')
    })

    it('reports expiry as unknown when the server sends no expires_in', async () => {
      server.setTokenLifetime(null)
      const token = issued(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(token.meta.expiresAt).toBeNull()
      expect(await checkApi(server.apiUrl, token.accessToken, options)).toMatchObject({ status: 200 })
    })

    it('issues short-lived tokens that the API refuses once they expire', async () => {
      server.setTokenLifetime(1)
      const token = issued(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(token.meta.expiresAt).toBe(T0 + 1000)
      expect(await checkApi(server.apiUrl, token.accessToken, options)).toMatchObject({ status: 200 })
      await new Promise((resolve) => setTimeout(resolve, 1100))
      expect(await checkApi(server.apiUrl, token.accessToken, options)).toMatchObject({ status: 401 })
    })

    it('takes obtainedAt right before the request is sent', async () => {
      const clock = vi.fn<() => number>().mockReturnValueOnce(T0 + 5).mockReturnValue(T0 + 99_999)
      const token = issued(await requestPasswordToken(config(), TEST_USER.username, password, { ...options, now: clock }))
      expect(token.meta.obtainedAt).toBe(T0 + 5)
      expect(token.meta.expiresAt).toBe(T0 + 5 + 3600_000)
    })
  })

  describe('OAuth error responses from a real server', () => {
    it('invalid_grant for a wrong password', async () => {
      const error = failure(await requestPasswordToken(config(), TEST_USER.username, new Secret('wrong password'), options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_grant', httpStatus: 400 })
      expect(error.errorDescription).toBe('Invalid grant: user credentials are invalid')
      expect(error.hint).toContain('username and password')
    })

    it('invalid_grant follows a password change', async () => {
      server.setUserPassword(TEST_USER.username, 'a new password')
      try {
        expect(failure(await requestPasswordToken(config(), TEST_USER.username, password, options)).code).toBe('invalid_grant')
        issued(await requestPasswordToken(config(), TEST_USER.username, new Secret('a new password'), options))
      } finally {
        server.setUserPassword(TEST_USER.username, TEST_USER.password)
      }
    })

    it('invalid_client for a wrong secret, in Basic (401) and in the body (400)', async () => {
      const wrong = new Secret('wrong-secret')
      expect(failure(await requestPasswordToken(config({ clientSecret: wrong }), TEST_USER.username, password, options))).toMatchObject({
        code: 'invalid_client',
        httpStatus: 401,
      })
      const body = config({ clientId: BODY_ONLY_CLIENT.id, clientSecret: wrong, clientAuth: 'body' })
      const error = failure(await requestPasswordToken(body, TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_client', httpStatus: 400 })
      expect(error.hint).toContain('HTTP Basic header')
    })

    it('invalid_client for a confidential client that sends no secret', async () => {
      const error = failure(await requestPasswordToken(config({ clientSecret: null, clientAuth: 'none' }), TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_client' })
    })

    it('unauthorized_client for a client without the password grant', async () => {
      const client = config({ clientId: NO_PASSWORD_GRANT_CLIENT.id, clientSecret: new Secret(NO_PASSWORD_GRANT_CLIENT.secret) })
      const error = failure(await requestPasswordToken(client, TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'unauthorized_client', httpStatus: 400 })
      expect(error.hint).toContain('Direct Access Grants')
    })

    it('unsupported_grant_type from a server that does not offer the password grant', async () => {
      const refreshOnly = await startOAuthServer({ grantTypes: ['refresh_token'] })
      try {
        const error = failure(await requestPasswordToken(config({ tokenUrl: refreshOnly.tokenUrl }), TEST_USER.username, password, options))
        expect(error).toMatchObject({ kind: 'oauth', code: 'unsupported_grant_type', httpStatus: 400 })
        expect(error.message).toContain('password grant')
      } finally {
        await refreshOnly.close()
      }
    })

    it('invalid_scope for an unknown scope', async () => {
      const error = failure(await requestPasswordToken(config({ scope: 'read bogus' }), TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_scope', httpStatus: 400 })
      expect(error.hint).toContain('scope')
    })

    it('redacts a secret the server echoes in error_description', async () => {
      server.failNext(1, { status: 400, body: { error: 'invalid_request', error_description: `password ${TEST_USER.password} rejected`, error_uri: 'https://docs.example/errors' } })
      const error = failure(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(error).toMatchObject({ code: 'invalid_request', errorDescription: '[redacted: the server echoed a secret]', errorUri: 'https://docs.example/errors' })
    })

    it('injected failures: 503 with Retry-After is transient, then the server recovers', async () => {
      server.failNext(1, { status: 503, body: 'down for maintenance', headers: { 'content-type': 'text/plain', 'retry-after': '30' } })
      const error = failure(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'invalid-response', code: 'server-error', httpStatus: 503, transient: true, retryAfterMs: 30_000 })
      issued(await requestPasswordToken(config(), TEST_USER.username, password, options))
      expect(server.counts.tokenRequests).toBe(2)
    })
  })

  describe('refresh grant against a real server', () => {
    async function signIn(overrides: Partial<OAuthClientConfig> = {}): Promise<IssuedToken> {
      return issued(await requestPasswordToken(config(overrides), TEST_USER.username, password, options))
    }

    it('rotates the refresh token; the old one is dead afterwards', async () => {
      const first = await signIn({ scope: 'read admin', extraParams: [{ name: 'audience', value: 'api' }] })
      const refreshed = issued(await requestRefreshedToken(config({ scope: 'read admin', extraParams: [{ name: 'audience', value: 'api' }] }), first.refreshToken!, options))

      expect(refreshed.meta).toMatchObject({ hasRefreshToken: true, grantedScope: 'read', requestedScope: 'read admin', expiresAt: T0 + 3600_000 })
      expect(refreshed.refreshToken!.reveal()).not.toBe(first.refreshToken!.reveal())
      expect(refreshed.accessToken.reveal()).not.toBe(first.accessToken.reveal())
      // Scope stays out of a refresh (as granted), the extra parameters go along.
      expect(lastRequest().params).toEqual({ grant_type: 'refresh_token', refresh_token: first.refreshToken!.reveal(), audience: 'api' })
      expect(server.counts).toMatchObject({ passwordGrants: 1, refreshGrants: 1 })

      const again = failure(await requestRefreshedToken(config(), first.refreshToken!, options))
      expect(again).toMatchObject({ kind: 'oauth', code: 'invalid_grant' })
      expect(again.message).toContain('refresh token')
      expect(again.hint).toContain('Sign in again')
      expect(JSON.stringify(again)).not.toContain(first.refreshToken!.reveal())
    })

    it('reports no refresh token when the server keeps the old one', async () => {
      server.setRotateRefreshTokens(false)
      const first = await signIn()
      const refreshed = issued(await requestRefreshedToken(config(), first.refreshToken!, options))
      expect(refreshed.refreshToken).toBeNull()
      expect(refreshed.meta.hasRefreshToken).toBe(false)
      issued(await requestRefreshedToken(config(), first.refreshToken!, options))
    })

    it('invalid_grant once the server revoked the refresh tokens', async () => {
      const first = await signIn()
      server.revokeRefreshTokens()
      expect(failure(await requestRefreshedToken(config(), first.refreshToken!, options))).toMatchObject({ kind: 'oauth', code: 'invalid_grant' })
    })

    it('refreshes a public client and a body-credentials client', async () => {
      const publicConfig = config({ clientId: PUBLIC_CLIENT.id, clientSecret: null, clientAuth: 'none' })
      const publicToken = await signIn(publicConfig)
      issued(await requestRefreshedToken(publicConfig, publicToken.refreshToken!, options))

      const bodyConfig = config({ clientId: BODY_ONLY_CLIENT.id, clientSecret: new Secret(BODY_ONLY_CLIENT.secret), clientAuth: 'body' })
      const bodyToken = await signIn(bodyConfig)
      issued(await requestRefreshedToken(bodyConfig, bodyToken.refreshToken!, options))
      expect(lastRequest().params).toMatchObject({ client_id: BODY_ONLY_CLIENT.id, client_secret: BODY_ONLY_CLIENT.secret })
    })

    it('refuses a refresh token issued to another client', async () => {
      const first = await signIn()
      const other = config({ clientId: BODY_ONLY_CLIENT.id, clientSecret: new Secret(BODY_ONLY_CLIENT.secret), clientAuth: 'body' })
      expect(failure(await requestRefreshedToken(other, first.refreshToken!, options)).code).toBe('invalid_grant')
    })
  })

  describe('server lifecycle and what is never sent', () => {
    it('is refused while stopped and answers again after restart on the same port', async () => {
      await server.stop()
      try {
        expect(failure(await requestPasswordToken(config(), TEST_USER.username, password, options))).toMatchObject({ kind: 'network', code: 'refused', transient: true })
      } finally {
        await server.restart()
      }
      issued(await requestPasswordToken(config(), TEST_USER.username, password, options))
    })

    it('refuses an http:// token URL to a non-loopback host without sending anything', async () => {
      const spy = vi.fn<FetchLike>()
      const result = await requestPasswordToken(config({ tokenUrl: 'http://auth.example.com/token' }), TEST_USER.username, password, { ...options, fetch: spy })
      expect(failure(result)).toMatchObject({ kind: 'insecure-url', code: 'http-not-loopback' })
      const check = await checkApi('http://api.example.com/data', new Secret('token'), { ...options, fetch: spy })
      expect(check.error).toMatchObject({ kind: 'insecure-url', code: 'http-not-loopback' })
      expect(spy).not.toHaveBeenCalled()
    })

    it('refuses http:// to a name under .localhost (stored by an older version) without resolving or sending anything', async () => {
      // Node's fetch would ask the system resolver, and a DNS server may answer with any host.
      const spy = vi.fn<FetchLike>()
      const result = await requestPasswordToken(config({ tokenUrl: 'http://keycloak.localhost:8080/token' }), TEST_USER.username, password, { ...options, fetch: spy })
      expect(failure(result)).toMatchObject({ kind: 'insecure-url', code: 'http-not-loopback' })
      expect(failure(result).hint).toContain('Use http://localhost or http://127.0.0.1 instead: keycloak.localhost is looked up by the system resolver')
      const check = await checkApi('http://api.localhost/data', new Secret('token'), { ...options, fetch: spy })
      expect(check.error).toMatchObject({ kind: 'insecure-url', code: 'http-not-loopback' })
      expect(spy).not.toHaveBeenCalled()
    })

    it('does not send a request when the caller already cancelled', async () => {
      const controller = new AbortController()
      controller.abort()
      const result = await requestPasswordToken(config(), TEST_USER.username, password, { ...options, signal: controller.signal })
      expect(failure(result)).toMatchObject({ kind: 'cancelled', code: 'cancelled' })
      expect(server.counts.allRequests).toBe(0)
    })
  })
})
