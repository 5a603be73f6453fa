import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { silentLogger } from '../../../electron/core/deps'
import { decodeJwt } from '../../../electron/core/jwt'
import { Secret } from '../../../electron/core/secrets/secret'
import { CLIPBOARD_CLEAR_MS, TokenActions, copyText, shellQuote } from '../../../electron/core/token-actions'
import { FakeClock } from '../../support/fake-clock'
import { KeychainError } from '../../../electron/core/secrets/secret-store'
import { makeTempDir } from '../../support/temp-dir'
import { asDatasourceId } from '../../../shared/ids'

const ID = asDatasourceId('0b5d6c9e-2f1a-4e3b-8c7d-6a5b4c3d2e1f')
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

class RecordingClipboard {
  text = ''
  writes: string[] = []
  writeText(text: string): void {
    this.writes.push(text)
    this.text = text
  }
  readText(): string {
    return this.text
  }
}

let temp: ReturnType<typeof makeTempDir>
let repo: DatasourceRepository
let close: () => void
/** The access token as the service would read it (the versioned account SQLite points to). */
const tokens = new Map<string, string>()
let keychainDown = false
let clock: FakeClock
let clipboard: RecordingClipboard
let actions: TokenActions

beforeEach(() => {
  temp = makeTempDir()
  const db = openDatabase(join(temp.dir, 'test.sqlite'))
  close = () => db.close()
  repo = new DatasourceRepository(db)
  tokens.clear()
  keychainDown = false
  clock = new FakeClock()
  clipboard = new RecordingClipboard()
  const readAccessToken = async (id: string): Promise<Secret | null> => {
    if (keychainDown) throw new KeychainError('no bus', 'unavailable')
    const value = tokens.get(id)
    return value === undefined ? null : new Secret(value)
  }
  const readClientSecret = async (): Promise<Secret | null> => new Secret('client-secret-1')
  // The unit suite makes no request; introspection's wire is in tests/integration/oauth/introspection.test.ts.
  const fetch = async (): Promise<Response> => {
    throw new Error('no network in unit tests')
  }
  actions = new TokenActions({ repo, readAccessToken, readClientSecret, fetch, clipboard, clock, logger: silentLogger })
  repo.save({
    id: ID,
    name: 'CRM',
    url: "https://api.example.com/it's",
    auth: { type: 'oauth2-password', tokenUrl: 'https://auth.example.com/token', clientId: 'desk', clientAuth: 'basic', username: 'ada', rememberPassword: true, scope: '', extraParams: [], hasClientSecret: true, hasPassword: true },
    createdAt: clock.now(),
    updatedAt: clock.now(),
    revision: 1,
  })
})

afterEach(() => {
  actions.dispose()
  close()
  temp.cleanup()
})

async function storeToken(token: string, tokenType = 'bearer'): Promise<void> {
  repo.saveToken(ID, { tokenType, grantedScope: null, requestedScope: '', obtainedAt: clock.now(), expiresAt: clock.now() + 3_600_000, hasRefreshToken: false })
  tokens.set(ID, token)
}

describe('copy actions', () => {
  it('writes the token, the header (scheme as RFC 6750 spells it) and a quoted curl command', async () => {
    await storeToken('abc.def-ghi')
    expect((await actions.copy(ID, 'access-token')).ok).toBe(true)
    expect(clipboard.text).toBe('abc.def-ghi')
    await actions.copy(ID, 'authorization-header')
    expect(clipboard.text).toBe('Authorization: Bearer abc.def-ghi')
    const receipt = await actions.copy(ID, 'curl')
    expect(clipboard.text).toBe(`curl -H 'Authorization: Bearer abc.def-ghi' 'https://api.example.com/it'\\''s'`)
    expect(receipt.ok && receipt.value).toMatchObject({ format: 'curl', clearsAt: clock.now() + CLIPBOARD_CLEAR_MS })
    // The receipt is what reaches the renderer: it never holds the token.
    expect(JSON.stringify(receipt)).not.toContain('abc.def-ghi')
  })

  it('clears the clipboard after a minute only if it still holds the copy', async () => {
    await storeToken('tok1')
    await actions.copy(ID, 'access-token')
    await clock.advanceAsync(CLIPBOARD_CLEAR_MS - 1)
    expect(clipboard.text).toBe('tok1')
    await clock.advanceAsync(1)
    expect(clipboard.text).toBe('')

    await actions.copy(ID, 'access-token')
    clipboard.writeText('something the user copied')
    await clock.advanceAsync(CLIPBOARD_CLEAR_MS)
    expect(clipboard.text).toBe('something the user copied')
  })

  it('says what is missing instead of copying nothing', async () => {
    const none = await actions.copy(ID, 'access-token')
    expect(!none.ok && none.error.code).toBe('no-token')
    const gone = await actions.copy(asDatasourceId('00000000-0000-4000-8000-000000000000'), 'curl')
    expect(!gone.ok && gone.error.kind).toBe('not-found')
    keychainDown = true
    repo.saveToken(ID, { tokenType: 'Bearer', grantedScope: null, requestedScope: '', obtainedAt: 0, expiresAt: null, hasRefreshToken: false })
    const locked = await actions.copy(ID, 'access-token')
    expect(!locked.ok && locked.error.kind).toBe('keychain')
    expect(clipboard.writes).toEqual([])
  })

  it('quotes for a POSIX shell', () => {
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`)
    expect(copyText('authorization-header', 't', 'DPoP', '')).toBe('Authorization: DPoP t')
  })
})

describe('token details', () => {
  it('decodes a JWT header and the shown claims, never the signature', async () => {
    const jwt = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'https://auth.example.com', sub: 'ada', aud: ['api', 'crm'], exp: 1_700_000_000, scope: 'read write', email: 'ada@example.com' })}.c2lnbmF0dXJl`
    await storeToken(jwt)
    const result = await actions.details(ID)
    expect(result.ok && result.value.jwt).toEqual({
      header: { alg: 'RS256', typ: 'JWT', kid: 'k1' },
      claims: { iss: 'https://auth.example.com', sub: 'ada', aud: ['api', 'crm'], exp: 1_700_000_000, scope: 'read write' },
    })
    expect(JSON.stringify(result)).not.toContain('c2lnbmF0dXJl')
    expect(JSON.stringify(result)).not.toContain('ada@example.com')
  })

  it('treats opaque tokens, JWE and garbage as "not a JWT", and cleans control characters', () => {
    expect(decodeJwt('opaque-token-value')).toBeNull()
    expect(decodeJwt('a.b.c.d.e')).toBeNull()
    expect(decodeJwt(`${b64([1])}.${b64({})}.x`)).toBeNull()
    expect(decodeJwt(`!!.${b64({})}.x`)).toBeNull()
    const decoded = decodeJwt(`${b64({ alg: 'none' })}.${b64({ sub: 'ada\u202E\u0007x' })}.`)
    expect(decoded?.claims.sub).toBe('adax')
  })
})

describe('introspection (RFC 7662)', () => {
  function advertise(introspectionEndpoint: string, tokenEndpoint = 'https://auth.example.com/token'): void {
    const record = repo.get(ID)!
    if (record.auth.type !== 'oauth2-password') throw new Error('fixture')
    const discovery = { issuer: 'https://auth.example.com', source: 'openid-configuration' as const, tokenEndpoint, introspectionEndpoint, discoveredAt: 0 }
    repo.save({ ...record, auth: { ...record.auth, issuer: 'https://auth.example.com', discovery }, revision: record.revision + 1 })
  }

  it('is offered in the details only where the metadata named an endpoint for this token URL', async () => {
    await storeToken('opaque-1')
    const plain = await actions.details(ID)
    expect(plain.ok && plain.value.introspection).toBeNull()
    advertise('https://auth.example.com/introspect')
    const offered = await actions.details(ID)
    expect(offered.ok && offered.value.introspection).toEqual({ host: 'auth.example.com', sameOrigin: true })
    advertise('https://elsewhere.example.net/introspect')
    const foreign = await actions.details(ID)
    expect(foreign.ok && foreign.value.introspection).toEqual({ host: 'elsewhere.example.net', sameOrigin: false })
    // Metadata for another token URL is not this token URL's: nothing is offered.
    advertise('https://auth.example.com/introspect', 'https://auth.example.com/other-token')
    const stale = await actions.details(ID)
    expect(stale.ok && stale.value.introspection).toBeNull()
  })

  it('says what is missing and sends nothing: no endpoint, no token, a locked keychain, another origin', async () => {
    const none = await actions.introspect(ID)
    expect(!none.ok && none.error.code).toBe('no-introspection')
    advertise('https://auth.example.com/introspect')
    const noToken = await actions.introspect(ID)
    expect(!noToken.ok && noToken.error.code).toBe('no-token')
    await storeToken('opaque-1')
    keychainDown = true
    const locked = await actions.introspect(ID)
    expect(!locked.ok && locked.error.kind).toBe('keychain')
    keychainDown = false
    // The unit suite's fetch throws: an answer that names the origin shows no request was tried.
    advertise('https://elsewhere.example.net/introspect')
    const foreign = await actions.introspect(ID)
    expect(!foreign.ok && foreign.error.code).toBe('introspection-other-origin')
    expect(!foreign.ok && foreign.error.message).toBe('Nothing was sent: the introspection endpoint is on elsewhere.example.net, not on auth.example.com where the token came from.')
    const gone = await actions.introspect(asDatasourceId('00000000-0000-4000-8000-000000000000'))
    expect(!gone.ok && gone.error.kind).toBe('not-found')
  })
})
