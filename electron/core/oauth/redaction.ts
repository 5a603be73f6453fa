/**
 * Redaction of secrets a server echoes back (issue 11, item 3). A server that repeats the request
 * in `error_description` repeats it as it received it: form-encoded, percent-encoded, as the Basic
 * header's base64, or JSON-escaped. So every secret of the request is searched for in every
 * encoding this client puts on the wire, and a server field that contains one is replaced whole:
 * replacing only the matching part would show where the secret sits inside the rest of the field
 * (`alice.[redacted]@example` tells the password is "alice"'s middle part).
 */
import { Buffer } from 'node:buffer'

export const ECHOED_SECRET = '[redacted: the server echoed a secret]'

/** Shorter values would match ordinary words; a 1- or 2-character secret is not worth hiding. */
const MIN_SECRET_LENGTH = 3

/** application/x-www-form-urlencoded as URLSearchParams writes a request body (space as +). */
const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2)

/** oauth4webapi's encoding of Basic credentials (RFC 6749 2.3.1: also escapes - _ . ! ~ * ' ( )). */
const strictFormEncode = (value: string): string =>
  encodeURIComponent(value)
    .replace(/[-_.!~*'()]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')

/** Everything but RFC 3986's unreserved set percent-encoded, space as %20 (OAUTH-NOTES' Basic advice). */
const unreservedEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!*'()]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)

const ENCODERS: ReadonlyArray<(value: string) => string> = [
  (value) => value,
  formEncode,
  strictFormEncode,
  encodeURIComponent,
  unreservedEncode,
]

/** `%2f` as well as `%2F`: servers and proxies re-encode with either case. */
const withLowerHex = (value: string): string => value.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())

/** The value as it looks inside a JSON string, as a server that builds JSON by hand would write it. */
const jsonEscaped = (value: string): string => JSON.stringify(value).slice(1, -1)
const jsonAsciiEscaped = (value: string): string => jsonEscaped(value).replace(/[\u007F-\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** Every form in which one secret value leaves this client. */
export function wireForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return []
  const encoded = ENCODERS.flatMap((encode) => {
    const value = encode(secret)
    return [value, withLowerHex(value)]
  })
  return unique(encoded.flatMap((value) => [value, jsonEscaped(value), jsonAsciiEscaped(value)]))
}

/** The Basic header's credentials in every encoding we send them (RFC 6749 2.3.1 and "Basic (raw)"). */
export function basicForms(clientId: string, clientSecret: string): string[] {
  if (clientSecret.length < MIN_SECRET_LENGTH) return []
  return unique(
    ENCODERS.flatMap((encode) => {
      const base64 = Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64')
      return [base64, base64.replace(/=+$/, ''), Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64url')]
    }),
  )
}

/** The secrets of one request: what was sent, and (for a response) what was issued. */
export interface RequestSecrets {
  readonly clientId: string
  readonly clientSecret: string | null
  /** Password, refresh token, access token: any other secret value of the exchange. */
  readonly values: ReadonlyArray<string>
}

/** Finds echoed secrets in server text, in every encoding we send them. */
export class Redactor {
  readonly #forms: ReadonlyArray<string>

  private constructor(forms: ReadonlyArray<string>) {
    this.#forms = unique(forms)
  }

  static for(secrets: RequestSecrets): Redactor {
    const forms = secrets.values.flatMap(wireForms)
    if (secrets.clientSecret) forms.push(...wireForms(secrets.clientSecret), ...basicForms(secrets.clientId, secrets.clientSecret))
    return new Redactor(forms)
  }

  /** A redactor that also knows values issued in the response (a new access or refresh token). */
  with(values: ReadonlyArray<string>): Redactor {
    return new Redactor([...this.#forms, ...values.flatMap(wireForms)])
  }

  /** True when the text holds any form of any secret. */
  finds(text: string): boolean {
    return this.#forms.some((form) => text.includes(form))
  }

  /** The field as it may be kept: unchanged, or replaced whole when it holds a secret. */
  field(text: string): string {
    return this.finds(text) ? ECHOED_SECRET : text
  }
}

function unique(values: ReadonlyArray<string>): string[] {
  return [...new Set(values)]
}
