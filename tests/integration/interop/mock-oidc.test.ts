/**
 * The interop matrix against oauth2-mock-server 9.x as an OpenID Connect provider, twice: with its
 * issuer at the origin, and with an issuer that has a path (`/realms/acme`, laid out like
 * Keycloak). See tests/support/interop/matrix.ts for what each scenario does.
 */
import { describe } from 'vitest'
import { startMockOidcServer } from '../../support/interop/mock-oidc-server'
import { runInteropMatrix, type Expectation, type ScenarioId } from '../../support/interop/matrix'

const ACCEPTS_ANYTHING = 'it accepts any credentials, scope and refresh token'

const REVOKES_NOTHING = 'Its revocation endpoint answers 200 to anything and revokes nothing (it takes any refresh token).'

const INTROSPECTS_ANYTHING = 'Its introspection endpoint answers `{"active": true}` to any token, revoked or not, and nothing else.'

const NOT_KEYCLOAK_LAYOUT = 'Keycloak\'s URLs carry /realms/<realm>; this column has no realm.'

const common: Readonly<Record<ScenarioId, Expectation>> = {
  basic: { expect: 'ok' },
  body: { expect: 'ok' },
  'special-basic': { expect: 'ok' },
  'special-basic-raw': { expect: 'ok' },
  'special-body': { expect: 'ok' },
  negotiate: { notApplicable: ACCEPTS_ANYTHING },
  'email-username': { expect: 'ok' },
  'scope-plain': { expect: 'ok' },
  'scope-openid': { expect: 'ok' },
  discovery: { expect: 'ok' },
  'preset-keycloak': { notApplicable: NOT_KEYCLOAK_LAYOUT },
  refresh: { expect: 'ok' },
  'rotated-refresh': { expect: 'ok' },
  'revoked-refresh': { notApplicable: ACCEPTS_ANYTHING },
  'revoke-on-delete': { expect: 'ok', note: REVOKES_NOTHING },
  introspect: { expect: 'ok', note: INTROSPECTS_ANYTHING },
  'renew-on-401': { notApplicable: REVOKES_NOTHING },
  'renew-on-401-saved': { notApplicable: REVOKES_NOTHING },
  'jwt-exp': { expect: 'ok' },
  'wrong-password': { notApplicable: ACCEPTS_ANYTHING },
  'wrong-secret': { notApplicable: ACCEPTS_ANYTHING },
  'disallowed-scope': { notApplicable: ACCEPTS_ANYTHING },
  'wrong-token-url': { expect: { kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404, hint: /token URL/ } },
  'cli-token': { expect: 'ok' },
  'cli-try-other-auth': { notApplicable: ACCEPTS_ANYTHING },
  'cli-wrong-password': { notApplicable: ACCEPTS_ANYTHING },
  'cli-wrong-secret': { notApplicable: ACCEPTS_ANYTHING },
  'cli-preset-keycloak': { notApplicable: NOT_KEYCLOAK_LAYOUT },
  'cli-test-401': { notApplicable: REVOKES_NOTHING },
  'cli-remove-revokes': { expect: 'ok' },
  'cli-introspect': { expect: 'ok' },
  'stopped-server': { expect: { kind: 'network', code: 'refused' } },
}

describe('issuer at the origin', () => {
  runInteropMatrix({ start: () => startMockOidcServer({ issuerPath: '' }), expectations: common })
})

describe('issuer with a path', () => {
  runInteropMatrix({
    start: () => startMockOidcServer({ issuerPath: '/realms/acme' }),
    // Laid out like Keycloak: the Keycloak preset's templates, filled in, are this server's URLs.
    expectations: { ...common, 'preset-keycloak': { expect: 'ok' }, 'cli-preset-keycloak': { expect: 'ok' } },
  })
})

describe('RFC 8414 metadata only (no OIDC document)', () => {
  runInteropMatrix({
    start: () => startMockOidcServer({ issuerPath: '', metadata: 'rfc8414' }),
    expectations: common,
  })
})
