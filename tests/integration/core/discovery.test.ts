import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { passwordFormFor } from '../../support/password-form'
import { startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { startMockOidcServer, type MockOidcServer } from '../../support/interop/mock-oidc-server'

/**
 * Discovery from an issuer URL against oauth2-mock-server (an independent OIDC server) with an
 * issuer that has a path, as Keycloak's does; then the saved datasource validates its id_token
 * against that issuer. Real keychain, real SQLite.
 */
let oidc: MockOidcServer
let app: CoreHarness

beforeAll(async () => {
  oidc = await startMockOidcServer({ issuerPath: '/realms/acme' })
})
afterAll(async () => {
  await oidc.close()
})
beforeEach(async () => {
  app = await startCoreHarness()
})
afterEach(async () => {
  await app.dispose()
})

describe('discovery from an issuer URL', () => {
  it('finds the token URL and what the server advertises under an issuer with a path', async () => {
    const server = unwrap(await app.core.handlers.discoverIssuer({ issuer: oidc.issuer }))
    expect(server).toMatchObject({ issuer: oidc.issuer, source: 'openid-configuration', tokenEndpoint: oidc.tokenUrl })
    expect(server.grantTypes).toContain('password')
    expect(server.revocationEndpoint).toMatch(/\/realms\/acme\/protocol\/openid-connect\/revoke$/)
    expect(server.introspectionEndpoint).toMatch(/\/realms\/acme\/protocol\/openid-connect\/token\/introspect$/)
    expect(server.idTokenSigningAlgs).toEqual(['RS256'])
  })

  it('says what is wrong for an issuer without metadata, and refuses http:// off this computer', async () => {
    const missing = await app.core.handlers.discoverIssuer({ issuer: `${new URL(oidc.issuer).origin}/realms/other` })
    expect(!missing.ok && missing.error).toMatchObject({ kind: 'invalid-response', code: 'no-metadata' })
    const insecure = await app.core.handlers.discoverIssuer({ issuer: 'http://login.example.com/realms/acme' })
    expect(!insecure.ok && insecure.error).toMatchObject({ kind: 'insecure-url' })
  })

  it('keeps the discovered metadata with the datasource and validates the id_token against the issuer', async () => {
    unwrap(await app.core.handlers.discoverIssuer({ issuer: oidc.issuer }))
    const input = passwordFormFor(
      { tokenUrl: oidc.tokenUrl, apiUrl: oidc.apiUrl },
      { clientId: 'desk-client', clientSecret: 'desk-secret', username: 'ana@example.com', password: 'pw' },
      { scope: 'openid profile', issuer: oidc.issuer },
    )
    const testId = randomUUID()
    const tested = unwrap(await app.core.handlers.testConnection({ testId, input }))
    expect(tested.token?.idToken).toBe('validated')
    const saved = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
    expect(saved.auth).toMatchObject({ issuer: oidc.issuer, discovery: { tokenEndpoint: oidc.tokenUrl } })
    expect(saved.status.token?.idToken).toBe('validated')

    // Without the issuer the same response's id_token is only ignored, never a failure.
    const plain = passwordFormFor({ tokenUrl: oidc.tokenUrl, apiUrl: oidc.apiUrl }, { clientId: 'desk-client', clientSecret: 'desk-secret', username: 'ana', password: 'pw' }, { scope: 'openid' }, 'Plain')
    expect(unwrap(await app.core.handlers.testConnection({ testId: randomUUID(), input: plain })).token?.idToken).toBe('ignored')
  })
})
