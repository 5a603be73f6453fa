/**
 * The interop matrix against @node-oauth/oauth2-server 5.x, the suite's own test server (see
 * tests/support/interop/matrix.ts for what each scenario does and how cells are recorded).
 */
import { startNodeOAuthServer } from '../../support/interop/node-oauth-server'
import { DECODES_BASIC, NO_METADATA, runInteropMatrix } from '../../support/interop/matrix'

const NO_REVOCATION = 'The library has no revocation endpoint (RFC 7009).'

const NO_PRESET_LAYOUT = 'No local server lays out its endpoints like a preset\'s vendor.'

const NO_INTROSPECTION = 'The library has no introspection endpoint (RFC 7662).'

runInteropMatrix({
  start: startNodeOAuthServer,
  expectations: {
    basic: { expect: 'ok' },
    body: { expect: 'ok' },
    'special-basic': { expect: 'ok' },
    'special-basic-raw': { expect: { kind: 'oauth', code: 'invalid_client' }, note: DECODES_BASIC },
    'special-body': { expect: 'ok' },
    negotiate: { expect: 'ok' },
    'email-username': { expect: 'ok' },
    'scope-plain': { expect: 'ok' },
    'scope-openid': { expect: { kind: 'oauth', code: 'invalid_scope' }, note: 'This server does not know the scope `openid`.' },
    discovery: { expect: { kind: 'invalid-response', code: 'no-metadata' }, note: NO_METADATA },
    'preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    refresh: { expect: 'ok' },
    'rotated-refresh': { expect: 'ok' },
    'revoked-refresh': { expect: 'ok' },
    'revoke-on-delete': { notApplicable: NO_REVOCATION },
    introspect: { notApplicable: NO_INTROSPECTION },
    'renew-on-401': { notApplicable: NO_REVOCATION },
    'renew-on-401-saved': { notApplicable: NO_REVOCATION },
    'jwt-exp': { notApplicable: 'its access tokens are opaque' },
    'wrong-password': { expect: { kind: 'oauth', code: 'invalid_grant' } },
    'wrong-secret': { expect: { kind: 'oauth', code: 'invalid_client' } },
    'disallowed-scope': { expect: { kind: 'oauth', code: 'invalid_scope' } },
    'wrong-token-url': {
      expect: { kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404, hint: /token URL/ },
      note: 'Its 404 is JSON with an `error` field (`not_found`), as web frameworks answer; still a wrong token URL, not an OAuth refusal.',
    },
    'cli-token': { expect: 'ok' },
    'cli-try-other-auth': { expect: 'ok' },
    'cli-wrong-password': { expect: { kind: 'exit', code: '3' } },
    'cli-wrong-secret': { expect: { kind: 'exit', code: '3', hint: /--client-auth body/ } },
    'cli-preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    'cli-test-401': { notApplicable: NO_REVOCATION },
    'cli-remove-revokes': { notApplicable: NO_REVOCATION },
    'cli-introspect': { notApplicable: NO_INTROSPECTION },
    'stopped-server': { expect: { kind: 'network', code: 'refused' } },
  },
})
