/**
 * What independent servers taught us (OAUTH-NOTES.md), each against a real server: the @node-oauth
 * server configured the way other servers behave (raw Basic comparison, JWT access tokens without
 * expires_in, framework 404 pages), and oauth2-mock-server for OIDC id_tokens and issuers with a path.
 */
import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as oauth from 'oauth4webapi'
import type { AppError, Result } from '../../../shared/errors'
import { Secret } from '../../../electron/core/secrets/secret'
import {
  requestPasswordToken,
  requestRefreshedToken,
  type IssuedToken,
  type OAuthClientConfig,
  type TokenRequestOptions,
} from '../../../electron/core/oauth/token-client'
import { CONFIDENTIAL_CLIENT, PLAIN_CLIENT, startOAuthServer, TEST_USER, type OAuthTestServer } from '../../support/oauth-server'
import { startMockOidcServer, type MockOidcServer } from '../../support/interop/mock-oidc-server'

const options: TokenRequestOptions = { fetch: (input, init) => fetch(input, init), now: () => Date.now() }
const password = new Secret(TEST_USER.password)

function issued(result: Result<IssuedToken>): IssuedToken {
  if (!result.ok) throw new Error(`expected a token, got ${JSON.stringify(result.error)}`)
  return result.value
}

function failure(result: Result<IssuedToken>): AppError {
  if (result.ok) throw new Error('expected a failure, got a token')
  return result.error
}

function configFor(tokenUrl: string, overrides: Partial<OAuthClientConfig> = {}): OAuthClientConfig {
  return {
    tokenUrl,
    clientId: CONFIDENTIAL_CLIENT.id,
    clientSecret: new Secret(CONFIDENTIAL_CLIENT.secret),
    clientAuth: 'basic',
    scope: '',
    extraParams: [],
    ...overrides,
  }
}

const decodedBasic = (header: string | null): string => Buffer.from((header ?? '').replace(/^Basic /, ''), 'base64').toString('utf8')

describe('HTTP Basic: RFC 3986 unreserved characters stay as they are', () => {
  let raw: OAuthTestServer
  let anyCredentials: MockOidcServer
  const NON_ASCII_SECRET = 'sé|cr=et+ö/&z w~ü'

  beforeAll(async () => {
    raw = await startOAuthServer({ basicDecoding: 'none' })
    anyCredentials = await startMockOidcServer({ issuerPath: '' })
  })
  afterAll(async () => {
    await raw.close()
    await anyCredentials.close()
  })

  it('a server that compares the raw Basic value accepts a plain id with - . _ ~ (oauth4webapi\'s own encoding is refused)', async () => {
    const plain = configFor(raw.tokenUrl, { clientId: PLAIN_CLIENT.id, clientSecret: new Secret(PLAIN_CLIENT.secret) })
    issued(await requestPasswordToken(plain, TEST_USER.username, password, options))
    expect(raw.tokenRequestLog.at(-1)!.authorization).toBe(`Basic ${Buffer.from(`${PLAIN_CLIENT.id}:${PLAIN_CLIENT.secret}`).toString('base64')}`)

    // The same request with oauth4webapi's ClientSecretBasic: `-` goes out as %2D and is refused.
    const as = { issuer: raw.url, token_endpoint: raw.tokenUrl }
    const response = await oauth.genericTokenEndpointRequest(
      as,
      { client_id: PLAIN_CLIENT.id },
      oauth.ClientSecretBasic(PLAIN_CLIENT.secret),
      'password',
      { username: TEST_USER.username, password: TEST_USER.password },
      { [oauth.allowInsecureRequests]: true },
    )
    expect(response.status).toBe(401)
    expect(decodedBasic(raw.tokenRequestLog.at(-1)!.authorization)).toBe('desk%2Dplain%2Eclient%5F1%7Ex:plain%2Dsecret%2Ev2%5F%7Ex')
  })

  it('a non-ASCII secret goes out as percent-encoded UTF-8 (the @node-oauth library refuses non-VSCHAR secrets, oauth2-mock-server takes any)', async () => {
    const config = configFor(anyCredentials.tokenUrl, { clientSecret: new Secret(NON_ASCII_SECRET) })
    issued(await requestPasswordToken(config, TEST_USER.username, password, options))
    expect(decodedBasic(anyCredentials.tokenRequestAuthorizations.at(-1) ?? null)).toBe(
      'desk%7Cclient%3D1%2Ba%2Fb%26c%20d:s%C3%A9%7Ccr%3Det%2B%C3%B6%2F%26z%20w~%C3%BC',
    )
  })
})

describe('OIDC id_token in the token response (oauth2-mock-server, issuer with a path)', () => {
  let oidc: MockOidcServer
  beforeAll(async () => {
    oidc = await startMockOidcServer({ issuerPath: '/realms/acme' })
  })
  afterAll(async () => {
    await oidc.close()
  })
  const oidcConfig = (overrides: Partial<OAuthClientConfig> = {}) =>
    configFor(oidc.tokenUrl, { clientId: 'desk-client', clientSecret: new Secret('desk-secret'), scope: 'openid profile', ...overrides })

  it('scope openid: the token is usable and the id_token is ignored when no issuer is known', async () => {
    const token = issued(await requestPasswordToken(oidcConfig(), 'ana@example.com', password, options))
    expect(token.meta).toMatchObject({ idToken: 'ignored', tokenType: 'Bearer', expiresFrom: 'expires_in', hasRefreshToken: true })
    // The refresh sends no scope, so this server sends no id_token then; the refresh still works.
    issued(await requestRefreshedToken(oidcConfig(), token.refreshToken!, options))
  })

  it('validates the id_token against the issuer from discovery, path included', async () => {
    const token = issued(await requestPasswordToken(oidcConfig({ issuer: { issuer: oidc.issuer, idTokenSigningAlgs: ['RS256'] } }), 'ana', password, options))
    expect(token.meta.idToken).toBe('validated')
  })

  it('an id_token that does not match the known issuer never makes the response fail', async () => {
    const wrongIssuer = oidcConfig({ issuer: { issuer: `${new URL(oidc.issuer).origin}/realms/other` } })
    expect(issued(await requestPasswordToken(wrongIssuer, 'ana', password, options)).meta.idToken).toBe('invalid')
    const wrongAlg = oidcConfig({ issuer: { issuer: oidc.issuer, idTokenSigningAlgs: ['HS256'] } })
    expect(issued(await requestPasswordToken(wrongAlg, 'ana', password, options)).meta.idToken).toBe('invalid')
  })

  it('a 404 (here with an empty body) means a wrong token URL', async () => {
    const error = failure(await requestPasswordToken(oidcConfig({ tokenUrl: `${new URL(oidc.issuer).origin}/oauth/token` }), 'ana', password, options))
    expect(error).toMatchObject({ kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404 })
    expect(error.hint).toContain('token URL')
    expect(error.cliHint).toContain('--token-url')
  })
})

describe('expiry from the access token when expires_in is missing', () => {
  it('uses the exp of a JWT access token (oauth2-mock-server without expires_in)', async () => {
    const oidc = await startMockOidcServer({ issuerPath: '' })
    oidc.jwtExpiry.omitExpiresIn(true)
    await oidc.setAccessTokenLifetime(900)
    try {
      const before = Date.now()
      const token = issued(await requestPasswordToken(configFor(oidc.tokenUrl, { clientId: 'desk-client' }), 'ana', password, options))
      expect(token.meta.expiresFrom).toBe('jwt-exp')
      const exp = JSON.parse(Buffer.from(token.accessToken.reveal().split('.')[1]!, 'base64url').toString('utf8')).exp as number
      expect(token.meta.expiresAt).toBe(exp * 1000)
      expect(token.meta.expiresAt! - before).toBeGreaterThan(800_000)
    } finally {
      await oidc.close()
    }
  })

  it('uses exp on the refresh grant too, and says "none" for an opaque token without expires_in', async () => {
    const server = await startOAuthServer({ tokenLifetime: null, jwtAccessTokenLifetime: 600 })
    try {
      const token = issued(await requestPasswordToken(configFor(server.tokenUrl), TEST_USER.username, password, options))
      expect(token.meta.expiresFrom).toBe('jwt-exp')
      const refreshed = issued(await requestRefreshedToken(configFor(server.tokenUrl), token.refreshToken!, options))
      expect(refreshed.meta.expiresFrom).toBe('jwt-exp')
    } finally {
      await server.close()
    }
    const opaque = await startOAuthServer({ tokenLifetime: null })
    try {
      const token = issued(await requestPasswordToken(configFor(opaque.tokenUrl), TEST_USER.username, password, options))
      expect(token.meta).toMatchObject({ expiresFrom: 'none', expiresAt: null })
    } finally {
      await opaque.close()
    }
  })
})

describe('status classification (@node-oauth server)', () => {
  let server: OAuthTestServer
  beforeAll(async () => {
    server = await startOAuthServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it('a 404 from a wrong path, with the server\'s JSON error body, is a wrong token URL, not an OAuth refusal', async () => {
    const error = failure(await requestPasswordToken(configFor(`${server.url}/oauth/token`), TEST_USER.username, password, options))
    expect(error).toMatchObject({ kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404 })
  })

  it('401 and 403 with an empty body are authentication failures, with client-auth hints for app and CLI', async () => {
    for (const status of [401, 403]) {
      server.failNext(1, { status })
      const error = failure(await requestPasswordToken(configFor(server.tokenUrl), TEST_USER.username, password, options))
      expect(error).toMatchObject({ kind: 'oauth', code: 'authentication-failed', httpStatus: status })
      expect(error.hint).toContain('"Credentials in request body"')
      expect(error.cliHint).toContain('--client-auth body')
      expect(error.cliHint).not.toContain('"Credentials in request body"')
    }
  })

  it('a 403 with a gateway\'s JSON error is an authentication failure that names what it said', async () => {
    server.failNext(1, { status: 403, body: { error: 'access_denied', error_description: 'blocked by policy' } })
    const error = failure(await requestPasswordToken(configFor(server.tokenUrl), TEST_USER.username, password, options))
    expect(error).toMatchObject({ kind: 'oauth', code: 'authentication-failed', httpStatus: 403 })
    expect(error.message).toContain('access_denied')
  })

  it('invalid_client hints name the labels in the app and the option values in the CLI', async () => {
    const error = failure(await requestPasswordToken(configFor(server.tokenUrl, { clientSecret: new Secret('wrong') }), TEST_USER.username, password, options))
    expect(error).toMatchObject({ kind: 'oauth', code: 'invalid_client' })
    expect(error.hint).toContain('"HTTP Basic header"')
    expect(error.cliHint).toContain('you use --client-auth basic now')
    expect(error.cliHint).toContain('--client-auth body or --client-auth basic-raw')
    expect(error.cliHint).toContain('--try-other-auth')
  })
})
