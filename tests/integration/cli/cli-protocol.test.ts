/**
 * The command line's side of the protocol fixes, on the built command against the real OAuth
 * server and keyring: hints name option values and commands, never the app's labels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useCliSuite } from '../../support/cli-suite'
import { BODY_ONLY_CLIENT, TEST_USER, startOAuthServer } from '../../support/oauth-server'
import { startMockOidcServer, type MockOidcServer } from '../../support/interop/mock-oidc-server'

const suite = useCliSuite('cli-protocol', startOAuthServer)
const { cli } = suite
const bodyOnlyArgs = (name: string, extra: ReadonlyArray<string> = []): string[] => [
  'add', name,
  '--token-url', suite.server.tokenUrl,
  '--client-id', BODY_ONLY_CLIENT.id,
  '--username', TEST_USER.username,
  '--client-secret-stdin', '--password-stdin',
  ...extra,
]
const bodyOnlySecrets = `${BODY_ONLY_CLIENT.secret}\n${TEST_USER.password}\n`

describe('CLI wording of hints', () => {
  it('invalid_client names --client-auth values and --try-other-auth, not the form labels', async () => {
    const result = await cli(bodyOnlyArgs('basic-refused'), bodyOnlySecrets)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('invalid_client')
    expect(result.stderr).toContain('you use --client-auth basic now; try --client-auth body or --client-auth basic-raw')
    expect(result.stderr).toContain('--try-other-auth')
    expect(result.stderr).not.toContain('Credentials in request body')
    expect(result.stderr).toContain('Nothing was saved; to save without a token, add --no-test.')
  })

  it('a wrong token URL (404 with a JSON error) points at --token-url', async () => {
    const result = await cli(['add', 'wrong-url', '--token-url', `${suite.server.url}/oauth/token`, '--client-id', BODY_ONLY_CLIENT.id, '--client-auth', 'body',
      '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'], bodyOnlySecrets)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('HTTP 404')
    expect(result.stderr).toContain('hint: Check --token-url')
  })

  it('a dead refresh token without a stored password names the command that fixes it', async () => {
    const added = await cli(bodyOnlyArgs('no-password', ['--client-auth', 'body', '--no-remember-password']), bodyOnlySecrets)
    expect(added.code).toBe(0)
    suite.server.revokeRefreshTokens()
    const renewed = await cli(['renew', 'no-password'])
    expect(renewed.code).not.toBe(0)
    expect(renewed.stderr).toContain('hint: Entering the password again fixes this: run "datasource-desk edit no-password --password-prompt"')
    const fixed = await cli(['edit', 'no-password', '--password-stdin'], `${TEST_USER.password}\n`)
    expect(fixed.code).toBe(0)
    expect(fixed.stdout).toMatch(/Valid until/)
  })
})

describe('--try-other-auth', () => {
  it('add tries the other methods after invalid_client and saves with the accepted one', async () => {
    const result = await cli(bodyOnlyArgs('negotiated', ['--try-other-auth']), bodyOnlySecrets)
    expect(result.stderr).toContain('Tried --client-auth body: accepted')
    expect(result.stderr).toContain('The server accepts --client-auth body; saving with it.')
    expect(result.code).toBe(0)
    const shown = JSON.parse((await cli(['status', 'negotiated', '--json'])).stdout) as { auth: { clientAuth: string }; status: { kind: string } }
    expect(shown.auth.clientAuth).toBe('body')
    expect(shown.status.kind).toBe('valid')
  })

  it('test names the edit command that switches to the accepted method', async () => {
    const added = await cli(bodyOnlyArgs('to-switch', ['--no-test']), bodyOnlySecrets)
    expect(added.code).toBe(0)
    const result = await cli(['test', 'to-switch', '--try-other-auth'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('hint: The server accepts --client-auth body: switch with "datasource-desk edit to-switch --client-auth body".')
  })
})

describe('add --issuer and --preset', () => {
  let oidc: MockOidcServer
  beforeAll(async () => {
    oidc = await startMockOidcServer({ issuerPath: '/realms/acme' })
  })
  afterAll(async () => {
    await oidc.close()
  })

  it('discovers the token URL from an issuer with a path, says what the server advertises, and saves', async () => {
    const result = await cli(['add', 'discovered', '--issuer', oidc.issuer, '--preset', 'keycloak', '--client-id', 'desk-client', '--username', 'ana',
      '--scope', 'openid', '--client-secret-stdin', '--password-stdin'], 'desk-secret\npw\n')
    expect(result.stderr).toContain(`Discovered ${oidc.issuer} (openid-configuration):`)
    expect(result.stderr).toContain(`Token URL:        ${oidc.tokenUrl}`)
    expect(result.stderr).toMatch(/Revocation: +http:\/\/127\.0\.0\.1:\d+\/realms\/acme\/protocol\/openid-connect\/revoke/)
    expect(result.code).toBe(0)
    const shown = JSON.parse((await cli(['status', 'discovered', '--json'])).stdout) as { auth: { tokenUrl: string; issuer: string; preset: string }; status: { token: { idToken: string } } }
    expect(shown.auth).toMatchObject({ tokenUrl: oidc.tokenUrl, issuer: oidc.issuer, preset: 'keycloak' })
    expect(shown.status.token.idToken).toBe('validated')
  })

  it('a preset without its URL names the template and the parameters it still needs', async () => {
    const result = await cli(['add', 'auth0', '--preset', 'auth0', '--client-id', 'x', '--username', 'ana', '--no-test'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Auth0 needs: --token-url https://{your-tenant}.auth0.com/oauth/token')
    expect(result.stderr).toContain('--param audience=<the API identifier')
  })
})
