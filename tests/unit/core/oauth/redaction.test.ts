import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { ECHOED_SECRET, Redactor, basicForms, wireForms } from '../../../../electron/core/oauth/redaction'

const SECRET = 'pa ss+w/o=r&d~ü"\\'

describe('wireForms (issue 11, item 3)', () => {
  it('covers the raw, form-encoded, percent-encoded and JSON-escaped value', () => {
    const forms = wireForms(SECRET)
    expect(forms).toEqual(
      expect.arrayContaining([
        SECRET,
        new URLSearchParams({ v: SECRET }).toString().slice(2),
        encodeURIComponent(SECRET),
        encodeURIComponent(SECRET).toLowerCase().replace(/%[0-9a-f]{2}/g, (escape) => escape),
        JSON.stringify(SECRET).slice(1, -1),
      ]),
    )
    // oauth4webapi's Basic encoding escapes ~ too.
    expect(forms.some((form) => form.includes('%7E'))).toBe(true)
  })

  it('ignores values too short to be told from ordinary text', () => {
    expect(wireForms('ab')).toEqual([])
  })
})

describe('basicForms', () => {
  it('holds the base64 of id:secret exactly as oauth4webapi and "Basic (raw)" send it', () => {
    const forms = basicForms('desk client', SECRET)
    expect(forms).toContain(Buffer.from(`desk client:${SECRET}`).toString('base64'))
    const strict = (value: string) => encodeURIComponent(value).replace(/[-_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+')
    expect(forms).toContain(Buffer.from(`${strict('desk client')}:${strict(SECRET)}`).toString('base64'))
  })
})

describe('Redactor', () => {
  const redactor = Redactor.for({ clientId: 'desk', clientSecret: 'client-secret-1', values: [SECRET] })

  it('replaces a whole field that holds any form, so no position inside it is revealed', () => {
    const username = `alice.${SECRET}@example`
    expect(redactor.field(`unknown user ${username}`)).toBe(ECHOED_SECRET)
    expect(redactor.field(`got ${new URLSearchParams({ password: SECRET }).toString()}`)).toBe(ECHOED_SECRET)
    expect(redactor.field(`Authorization: Basic ${Buffer.from('desk:client-secret-1').toString('base64')}`)).toBe(ECHOED_SECRET)
    expect(redactor.field('client_secret=client%2Dsecret%2D1')).toBe(ECHOED_SECRET)
  })

  it('leaves text without a secret alone', () => {
    expect(redactor.field('The user name or password is incorrect.')).toBe('The user name or password is incorrect.')
  })

  it('learns issued tokens with `with`', () => {
    expect(redactor.field('scope issued-token-1')).toBe('scope issued-token-1')
    expect(redactor.with(['issued-token-1']).field('scope issued-token-1')).toBe(ECHOED_SECRET)
  })
})
