/**
 * The interop matrix against Django OAuth Toolkit 1.7 (Debian python3-django-oauth-toolkit), a
 * Django project in a temp directory run by runserver (see tests/support/interop/django-server.ts;
 * tests/support/interop/matrix.ts says what each scenario does and how cells are recorded).
 */
import { startDjangoServer } from '../../support/interop/django-server'
import { DECODES_BASIC, NO_METADATA, runInteropMatrix } from '../../support/interop/matrix'

const DJANGO_METADATA = 'The toolkit revokes (RevokeTokenView) but publishes no RFC 8414 metadata (its OIDC document names no revocation endpoint): the test project serves metadata for an issuer `/deployment` naming it.'

const DJANGO_API = 'The API is a view on the toolkit\'s own token check (verify_request) answering 401 as RFC 6750 says; the stock ProtectedResourceView answers 403, on which the app does not renew.'

const DJANGO_REFRESH_500 = 'The toolkit (1.7) answers 500 to the refresh token of an access token that was revoked (it revokes the refresh token\'s deleted access token again); the app reports it and does not retry a 5xx with the password.'

const NO_PRESET_LAYOUT = 'No local server lays out its endpoints like a preset\'s vendor.'

const DJANGO_INTROSPECTION = 'The toolkit introspects (IntrospectTokenView, client credentials or a token with scope `introspection`); the test project\'s metadata for `/deployment` names it.'

runInteropMatrix({
  start: startDjangoServer,
  expectations: {
    basic: { expect: 'ok' },
    body: { expect: 'ok' },
    'special-basic': { expect: 'ok' },
    'special-basic-raw': { expect: { kind: 'oauth', code: 'invalid_client' }, note: DECODES_BASIC },
    'special-body': { expect: 'ok' },
    negotiate: { expect: 'ok' },
    'email-username': { expect: 'ok' },
    'scope-plain': { expect: 'ok' },
    'scope-openid': { expect: 'ok', note: 'OIDC is off in this project: `openid` is a plain scope and no id_token comes back.' },
    discovery: { expect: { kind: 'invalid-response', code: 'no-metadata' }, note: NO_METADATA },
    'preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    refresh: { expect: 'ok' },
    'rotated-refresh': { expect: 'ok' },
    'revoked-refresh': { expect: 'ok' },
    'revoke-on-delete': { expect: 'ok', note: DJANGO_METADATA },
    introspect: { expect: 'ok', note: DJANGO_INTROSPECTION },
    'renew-on-401': { expect: 'ok', note: DJANGO_API },
    'renew-on-401-saved': { expect: { kind: 'invalid-response', code: 'server-error', httpStatus: 500 }, note: DJANGO_REFRESH_500 },
    'jwt-exp': { notApplicable: 'its access tokens are opaque' },
    'wrong-password': { expect: { kind: 'oauth', code: 'invalid_grant' } },
    'wrong-secret': { expect: { kind: 'oauth', code: 'invalid_client' } },
    'disallowed-scope': { expect: { kind: 'oauth', code: 'invalid_scope' } },
    'wrong-token-url': { expect: { kind: 'invalid-response', code: 'wrong-token-url', httpStatus: 404, hint: /token URL/ } },
    'cli-token': { expect: 'ok' },
    'cli-try-other-auth': { expect: 'ok' },
    'cli-wrong-password': { expect: { kind: 'exit', code: '3' } },
    'cli-wrong-secret': { expect: { kind: 'exit', code: '3', hint: /--client-auth body/ } },
    'cli-preset-keycloak': { notApplicable: NO_PRESET_LAYOUT },
    'cli-test-401': { expect: { kind: 'said', code: 'no-new-token', httpStatus: 500 }, note: DJANGO_REFRESH_500 },
    'cli-remove-revokes': { expect: 'ok', note: DJANGO_METADATA },
    'cli-introspect': { expect: 'ok', note: DJANGO_INTROSPECTION },
    'stopped-server': { expect: { kind: 'network', code: 'refused' } },
  },
})
