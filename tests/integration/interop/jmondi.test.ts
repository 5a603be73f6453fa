/**
 * The interop matrix against @jmondi/oauth2-server 4.x (see tests/support/interop/matrix.ts for
 * what each scenario does and how cells are recorded).
 */
import { startJmondiServer } from '../../support/interop/jmondi-server'
import { NO_METADATA, runInteropMatrix } from '../../support/interop/matrix'

const BASIC_NOT_DECODED = 'This server does not form-decode Basic credentials (RFC 6749 2.3.1 says it must): such a secret works only in the body, or in Basic without encoding (`basic-raw`).'

const REVOCATION_BY_GLUE = 'The library revokes (`revoke()`) but publishes no metadata: the test glue serves RFC 8414 metadata for an issuer `/deployment` naming its revocation route.'

const NO_PRESET_LAYOUT = 'No local server lays out its endpoints like a preset\'s vendor.'

const INTROSPECTION_BY_GLUE = 'The library introspects (`introspect()`, the client authenticated) but publishes no metadata: the test glue names its route in the `/deployment` metadata.'

runInteropMatrix({
  start: startJmondiServer,
  expectations: {
    basic: { expect: 'ok' },
    body: { expect: 'ok' },
    'special-basic': { expect: { kind: 'oauth', code: 'invalid_client' }, note: BASIC_NOT_DECODED },
    'special-basic-raw': { expect: 'ok' },
    'special-body': { expect: 'ok' },
    negotiate: { expect: 'ok' },
    'email-username': { expect: 'ok' },
    'scope-plain': { expect: 'ok' },
    'scope-openid': { expect: 'ok' },
    discovery: { expect: { kind: 'invalid-response', code: 'no-metadata' }, note: NO_METADATA },
    'preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    refresh: { expect: 'ok' },
    'rotated-refresh': { expect: 'ok' },
    'revoked-refresh': { expect: 'ok' },
    'revoke-on-delete': { expect: 'ok', note: REVOCATION_BY_GLUE },
    introspect: { expect: 'ok', note: INTROSPECTION_BY_GLUE },
    'renew-on-401': { expect: 'ok' },
    'renew-on-401-saved': { expect: 'ok' },
    'jwt-exp': { expect: 'ok' },
    'wrong-password': { expect: { kind: 'oauth', code: 'invalid_grant' } },
    'wrong-secret': { expect: { kind: 'oauth', code: 'invalid_client' } },
    'disallowed-scope': { expect: { kind: 'oauth', code: 'invalid_scope' } },
    'wrong-token-url': { expect: { kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404, hint: /token URL/ } },
    'cli-token': { expect: 'ok' },
    'cli-try-other-auth': { expect: 'ok' },
    'cli-wrong-password': { expect: { kind: 'exit', code: '3' } },
    'cli-wrong-secret': { expect: { kind: 'exit', code: '3', hint: /--client-auth body/ } },
    'cli-preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    'cli-test-401': { expect: 'ok' },
    'cli-remove-revokes': { expect: 'ok', note: REVOCATION_BY_GLUE },
    'cli-introspect': { expect: 'ok', note: INTROSPECTION_BY_GLUE },
    'stopped-server': { expect: { kind: 'network', code: 'refused' } },
  },
})
