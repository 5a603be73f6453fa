/**
 * Field-level limits and URL rules of the shared schemas (issue 5, "Hostile input"). Each limit
 * has its own readable message, and URLs are judged by what the WHATWG URL parser makes of them,
 * not by their spelling.
 */
import { describe, expect, it } from 'vitest'
import {
  datasourceInputSchema,
  extraParamSchema,
  isLoopbackHost,
  LIMITS,
  tokenUrlSchema,
  type DatasourceInput,
  type OAuth2PasswordInput,
} from '../../../shared/datasource'
import { ipcContract } from '../../../shared/ipc'
import { passwordFormFor } from '../../support/password-form'

function oauthInput(overrides: Partial<OAuth2PasswordInput> = {}, top: Partial<DatasourceInput> = {}): unknown {
  const endpoints = { tokenUrl: 'https://auth.example.com/oauth/token', apiUrl: 'https://api.example.com/v1/me' }
  const credentials = { clientId: 'desk', clientSecret: 's3cret', username: 'ana', password: 'pw' }
  return { ...passwordFormFor(endpoints, credentials, { scope: 'read write', ...overrides }), ...top }
}

/** The issues of a failed parse as "path: message" lines; an empty list when it passed. */
function issuesOf(value: unknown): string[] {
  const parsed = datasourceInputSchema.safeParse(value)
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
}

describe('datasourceInputSchema limits', () => {
  it('accepts a complete, valid form', () => {
    expect(issuesOf(oauthInput())).toEqual([])
  })

  it.each([
    ['name', { name: 'n'.repeat(LIMITS.name + 1) }, {}, `name: Name is too long (at most ${LIMITS.name} characters)`],
    ['url', { url: `https://api.example.com/${'a'.repeat(LIMITS.url)}` }, {}, `url: URL is too long (at most ${LIMITS.url} characters)`],
    ['token URL', {}, { tokenUrl: `https://auth.example.com/${'a'.repeat(LIMITS.url)}` }, `auth.tokenUrl: Token URL is too long (at most ${LIMITS.url} characters)`],
    ['client ID', {}, { clientId: 'c'.repeat(LIMITS.clientId + 1) }, `auth.clientId: Client ID is too long (at most ${LIMITS.clientId} characters)`],
    ['username', {}, { username: 'u'.repeat(LIMITS.username + 1) }, `auth.username: Username is too long (at most ${LIMITS.username} characters)`],
    ['scope', {}, { scope: 's'.repeat(LIMITS.scope + 1) }, `auth.scope: Scope is too long (at most ${LIMITS.scope} characters)`],
    ['client secret', {}, { clientSecret: { action: 'set', value: 'x'.repeat(LIMITS.secret + 1) } }, `auth.clientSecret.value: Too long (at most ${LIMITS.secret} characters)`],
    ['password', {}, { password: { action: 'set', value: 'x'.repeat(LIMITS.secret + 1) } }, `auth.password.value: Too long (at most ${LIMITS.secret} characters)`],
    [
      'extra parameter count',
      {},
      { extraParams: Array.from({ length: LIMITS.extraParams + 1 }, (_, index) => ({ name: `p${index}`, value: 'v' })) },
      `auth.extraParams: At most ${LIMITS.extraParams} extra parameters`,
    ],
    [
      'extra parameter name',
      {},
      { extraParams: [{ name: 'p'.repeat(LIMITS.paramName + 1), value: 'v' }] },
      `auth.extraParams.0.name: Parameter name is too long (at most ${LIMITS.paramName} characters)`,
    ],
    [
      'extra parameter value',
      {},
      { extraParams: [{ name: 'audience', value: 'v'.repeat(LIMITS.paramValue + 1) }] },
      `auth.extraParams.0.value: Value is too long (at most ${LIMITS.paramValue} characters)`,
    ],
  ] as const)('refuses a %s over its limit with its own message', (_field, top, auth, message) => {
    expect(issuesOf(oauthInput(auth as Partial<OAuth2PasswordInput>, top as Partial<DatasourceInput>))).toEqual([message])
  })

  it('accepts every field exactly at its limit', () => {
    const atLimit = oauthInput(
      {
        tokenUrl: `https://auth.example.com/${'a'.repeat(LIMITS.url - 'https://auth.example.com/'.length)}`,
        clientId: 'c'.repeat(LIMITS.clientId),
        username: 'u'.repeat(LIMITS.username),
        scope: 's'.repeat(LIMITS.scope),
        clientSecret: { action: 'set', value: 'x'.repeat(LIMITS.secret) },
        password: { action: 'set', value: 'x'.repeat(LIMITS.secret) },
        extraParams: Array.from({ length: LIMITS.extraParams }, (_, index) => ({ name: `p${index}`.padEnd(LIMITS.paramName, 'x'), value: 'v'.repeat(LIMITS.paramValue) })),
      },
      { name: 'n'.repeat(LIMITS.name) },
    )
    expect(issuesOf(atLimit)).toEqual([])
  })

  it('measures a limit after trimming, so surrounding spaces do not count', () => {
    const parsed = datasourceInputSchema.parse(oauthInput({}, { name: `  ${'n'.repeat(LIMITS.name)}  ` }))
    expect(parsed.name).toHaveLength(LIMITS.name)
  })

  it.each([
    ['name', { name: '   ' }, {}, 'name: Name is required'],
    ['token URL', {}, { tokenUrl: '' }, 'auth.tokenUrl: Token URL is required'],
    ['client ID', {}, { clientId: ' ' }, 'auth.clientId: Client ID is required'],
    ['username', {}, { username: '' }, 'auth.username: Username is required'],
  ] as const)('says a required %s is missing, once', (_field, top, auth, message) => {
    expect(issuesOf(oauthInput(auth as Partial<OAuth2PasswordInput>, top as Partial<DatasourceInput>))).toEqual([message])
  })

  it('refuses control characters in the name (tray and notifications show it)', () => {
    expect(issuesOf(oauthInput({}, { name: 'CRM\nProduction: valid' }))).toEqual(['name: Name may not contain line breaks, tabs or other control characters'])
    expect(issuesOf(oauthInput({}, { name: 'CRM\u0085x' }))).toHaveLength(1)
  })

  it('says which type is wrong instead of throwing', () => {
    expect(issuesOf(oauthInput({}, { name: 42 as unknown as string }))).toEqual(['name: Name must be text'])
  })
})

describe('URLs are parsed, not pattern-matched', () => {
  const tokenUrlIssues = (tokenUrl: string) => issuesOf(oauthInput({ tokenUrl }))
  const urlIssues = (url: string) => issuesOf(oauthInput({}, { url }))

  it('accepts an empty datasource URL (it is optional) but not a blank token URL', () => {
    expect(urlIssues('')).toEqual([])
    expect(tokenUrlIssues('   ')).toEqual(['auth.tokenUrl: Token URL is required'])
  })

  it.each(['not a url', 'example.com/token', '//example.com/token', 'https://'])('asks for a full URL: %j', (value) => {
    expect(tokenUrlIssues(value)).toEqual(['auth.tokenUrl: Enter a full URL, starting with https://'])
    expect(urlIssues(value)).toEqual(['url: Enter a full URL, starting with https://'])
  })

  it.each(['javascript:alert(1)', 'JavaScript:alert(document.cookie)', 'file:///etc/passwd', 'data:text/html,<script>1</script>', 'ftp://example.com/x', 'ws://127.0.0.1/x'])(
    'refuses non-http schemes: %s',
    (value) => {
      expect(tokenUrlIssues(value)).toEqual(['auth.tokenUrl: Only http:// and https:// URLs are supported'])
      expect(urlIssues(value)).toEqual(['url: Only http:// and https:// URLs are supported'])
    },
  )

  it.each(['https://user:pw@auth.example.com/token', 'https://user@auth.example.com/token', 'https://:pw@auth.example.com/token', 'http://a:b@127.0.0.1/token'])(
    'refuses credentials in the URL: %s',
    (value) => {
      expect(tokenUrlIssues(value)).toEqual(['auth.tokenUrl: Put credentials in their own fields, not in the URL'])
      expect(urlIssues(value)).toEqual(['url: Put credentials in their own fields, not in the URL'])
    },
  )

  it.each(['http://auth.example.com/token', 'http://127.0.0.1.evil.example/token', 'http://localhost.evil.example/token', 'http://0.0.0.0/token', 'http://10.0.0.1/token', 'http://[::2]/token'])(
    'refuses http:// to a host that is not loopback: %s',
    (value) => {
      expect(tokenUrlIssues(value)).toEqual([
        'auth.tokenUrl: Use https:// for the token URL: http:// would send the password unencrypted (allowed only for localhost)',
      ])
    },
  )

  it.each(['http://localhost:8080/token', 'http://127.0.0.1/token', 'http://127.1.2.3:9/token', 'http://[::1]:8443/token', 'http://LOCALHOST/token', 'http://0x7f.1/token', 'http://2130706433/token'])(
    'accepts http:// to loopback, as the parser reads the host: %s',
    (value) => {
      expect(tokenUrlIssues(value)).toEqual([])
    },
  )

  it.each(['http://keycloak.localhost/token', 'http://a.b.LOCALHOST:8080/token'])(
    'refuses http:// to a name under .localhost (issue 11, item 11: the system resolver may answer with any host): %s',
    (value) => {
      const issues = tokenUrlIssues(value)
      expect(issues).toHaveLength(1)
      expect(issues[0]).toMatch(/^auth\.tokenUrl: Use http:\/\/localhost or http:\/\/127\.0\.0\.1 instead of [a-z.]+\.localhost: a name under \.localhost is looked up by the system resolver/)
      expect(tokenUrlIssues(value.replace('http://', 'https://'))).toEqual([])
    },
  )

  it('allows plain http:// for the API URL itself (only the token request carries the password)', () => {
    expect(urlIssues('http://api.example.com/v1')).toEqual([])
  })

  it.each(['https://exa\tmple.com/token', 'https://example.com/to\nken', 'https://example.com/\u0000', 'https://example.com/\u007f'])(
    'refuses control characters the parser would silently drop: %j',
    (value) => {
      expect(tokenUrlIssues(value)).toEqual(['auth.tokenUrl: Remove the line breaks, tabs or other control characters from the URL'])
      expect(urlIssues(value)).toEqual(['url: Remove the line breaks, tabs or other control characters from the URL'])
    },
  )

  it('refuses a fragment in the token URL (RFC 6749 3.2)', () => {
    expect(tokenUrlIssues('https://auth.example.com/token#x')).toEqual(['auth.tokenUrl: Remove the #fragment: a token URL may not have one'])
    expect(tokenUrlIssues('https://auth.example.com/token#')).toHaveLength(1)
    expect(urlIssues('https://api.example.com/#/route')).toEqual([])
  })

  it('exports the same token URL rule on its own', () => {
    expect(tokenUrlSchema.safeParse('https://auth.example.com/token').success).toBe(true)
    expect(tokenUrlSchema.safeParse('javascript:alert(1)').success).toBe(false)
  })

  it('treats hosts by name, not by prefix', () => {
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('a.localhost')).toBe(false)
    expect(isLoopbackHost('localhost.example.com')).toBe(false)
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false)
  })
})

describe('extra parameters', () => {
  it.each(['grant_type', 'username', 'password', 'client_id', 'client_secret', 'scope', 'refresh_token', ' password '])(
    'refuses the reserved name %j',
    (name) => {
      expect(issuesOf(oauthInput({ extraParams: [{ name, value: 'x' }] }))).toEqual(['auth.extraParams.0.name: This parameter is set by the form itself'])
    },
  )

  it('refuses a duplicate name, on the second occurrence (also after trimming)', () => {
    const extraParams = [
      { name: 'audience', value: 'a' },
      { name: 'resource', value: 'r' },
      { name: ' audience', value: 'b' },
    ]
    expect(issuesOf(oauthInput({ extraParams }))).toEqual(['auth.extraParams.2.name: Duplicate parameter'])
  })

  it.each(['', 'a b', 'a=b', 'a&b', 'naïve', 'x\ny'])('refuses the malformed name %j', (name) => {
    expect(extraParamSchema.safeParse({ name, value: 'v' }).success).toBe(false)
  })

  it('refuses unknown keys (strict objects) instead of dropping them silently', () => {
    expect(extraParamSchema.safeParse({ name: 'audience', value: 'v', __proto__: { polluted: true }, extra: 1 }).success).toBe(false)
    expect(issuesOf({ ...(oauthInput() as object), admin: true })).toHaveLength(1)
  })
})

describe('ipcContract payloads', () => {
  it('limits the sign-in password like a stored one', () => {
    const id = '5f0c3b8e-1d2a-4c3b-9a1e-0f1e2d3c4b5a'
    expect(ipcContract.signIn.payload.safeParse({ id, password: 'x'.repeat(LIMITS.secret), remember: true }).success).toBe(true)
    expect(ipcContract.signIn.payload.safeParse({ id, password: 'x'.repeat(LIMITS.secret + 1), remember: true }).success).toBe(false)
    expect(ipcContract.signIn.payload.safeParse({ id, password: '', remember: true }).error?.issues[0]?.message).toBe('Enter the password')
  })
})

describe('invisible and control characters (issue 11, items 4 and 9)', () => {
  it.each([
    ['name', oauthInput({}, { name: 'cr\u200bm' })],
    ['name', oauthInput({}, { name: 'crm\u202Egnp.exe' })],
    ['name', oauthInput({}, { name: 'crm\u0085' })],
    ['auth.username', oauthInput({ username: 'ana\u001b[2J' })],
    ['auth.username', oauthInput({ username: 'ana\u200d' })],
    ['auth.clientId', oauthInput({ clientId: 'desk\u202Eclient' })],
    ['auth.clientId', oauthInput({ clientId: 'desk\u0007' })],
  ])('%s refuses it with a clear message', (path, input) => {
    const issues = issuesOf(input)
    expect(issues.join('\n')).toMatch(new RegExp(`^${path.replace('.', '\\.')}: .*(control|bidi|zero-width)`, 'm'))
  })

  it.each(['pass\u0000word', 'pass\nword', 'pass\tword', 'pass\u007f'])('a secret with %j is refused before anything is sent or stored', (value) => {
    for (const field of ['password', 'clientSecret'] as const) {
      const issues = issuesOf(oauthInput({ [field]: { action: 'set', value } }))
      expect(issues.join('\n')).toContain(`auth.${field}.value: May not contain NUL`)
    }
    const signIn = ipcContract.signIn.payload.safeParse({ id: '6f1c4c86-4a0e-4f43-9a39-0b6f1a9d7a10', password: value, remember: true })
    expect(signIn.success).toBe(false)
  })

  it('ordinary names, usernames and secrets with spaces and non-ASCII letters stay accepted', () => {
    expect(issuesOf(oauthInput({ username: 'Ana Müller', clientId: 'desk client', password: { action: 'set', value: 'pä ss "w" \\ ü' } }, { name: 'CRM (Zürich) 🙂' }))).toEqual([])
  })
})
