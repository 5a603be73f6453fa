import { Buffer } from 'node:buffer'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { basicCredentials, encodeCredential, jwtExpiry } from '../../../../electron/core/oauth/wire-format'

const headerOf = (clientId: string, secret: string): string => {
  const headers = new Headers()
  void oauth.ClientSecretBasic(secret)({ issuer: 'https://as.example' }, { client_id: clientId }, new URLSearchParams(), headers)
  return headers.get('authorization')!
}
const decoded = (header: string | null): string => Buffer.from((header ?? '').replace(/^Basic /, ''), 'base64').toString('latin1')

describe('Basic client credentials on the wire', () => {
  it('leaves the RFC 3986 unreserved set alone and percent-encodes everything else, space as %20', () => {
    expect(encodeCredential('AZaz09-._~')).toBe('AZaz09-._~')
    expect(encodeCredential("| = + / & !*'() :%")).toBe('%7C%20%3D%20%2B%20%2F%20%26%20%21%2A%27%28%29%20%3A%25')
    expect(encodeCredential('é€😀')).toBe('%C3%A9%E2%82%AC%F0%9F%98%80')
  })

  it('pins the exact header bytes', () => {
    expect(basicCredentials('desk-client', 'se|cr=et+x/y&z w')).toBe(`Basic ${Buffer.from('desk-client:se%7Ccr%3Det%2Bx%2Fy%26z%20w', 'ascii').toString('base64')}`)
    expect(decoded(basicCredentials('clïent', 'pässwörd'))).toBe('cl%C3%AFent:p%C3%A4ssw%C3%B6rd')
    expect(basicCredentials('a:b', 'c')).toBe(`Basic ${Buffer.from('a%3Ab:c').toString('base64')}`)
  })

  it('decodes to the original under both form-decoding and percent-decoding', () => {
    const value = "id with space+plus/slash=eq&amp|pipe!*'()~é"
    const encoded = encodeCredential(value)!
    expect(decodeURIComponent(encoded)).toBe(value)
    expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(value)
    expect(new URLSearchParams(`x=${encoded}`).get('x')).toBe(value)
  })

  it('refuses an unpaired surrogate instead of throwing', () => {
    expect(encodeCredential('a\uD800b')).toBeNull()
    expect(basicCredentials('id', '\uDC00')).toBeNull()
  })

  it('oauth4webapi 3.8 ClientSecretBasic escapes - _ . ~ ! * \' ( ) and turns a space into +: why we do not use it', () => {
    expect(decoded(headerOf('desk-client', 'a b.c_d~e!'))).toBe('desk%2Dclient:a+b%2Ec%5Fd%7Ee%21')
  })
})

describe('jwtExpiry', () => {
  const jwt = (claims: unknown, header: unknown = { alg: 'RS256' }) =>
    `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`

  it('reads a numeric exp as milliseconds', () => {
    expect(jwtExpiry(jwt({ exp: 1_900_000_000 }))).toBe(1_900_000_000_000)
    expect(jwtExpiry(jwt({ exp: 1_900_000_000.5 }))).toBe(1_900_000_000_500)
  })

  it('is null for opaque tokens, broken JWTs and unusable exp values', () => {
    expect(jwtExpiry('opaque-token')).toBeNull()
    expect(jwtExpiry('a.b')).toBeNull()
    expect(jwtExpiry('a.!!!.c')).toBeNull()
    expect(jwtExpiry(`x.${Buffer.from('not json').toString('base64url')}.y`)).toBeNull()
    expect(jwtExpiry(jwt([1, 2]))).toBeNull()
    expect(jwtExpiry(jwt({ exp: '1900000000' }))).toBeNull()
    expect(jwtExpiry(jwt({ exp: -1 }))).toBeNull()
    expect(jwtExpiry(jwt({ exp: 1e300 }))).toBeNull()
    expect(jwtExpiry(jwt({}))).toBeNull()
    expect(jwtExpiry(`${'a'.repeat(70_000)}.b.c`)).toBeNull()
  })
})
