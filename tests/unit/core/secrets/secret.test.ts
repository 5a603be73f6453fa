/**
 * The Secret wrapper (issue 5, "Secrets"): every way a careless line could turn it into text says
 * "[redacted]"; only reveal() gives the value.
 */
import { format, inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Secret } from '../../../../electron/core/secrets/secret'

const VALUE = 'canary-secret-7f3a9c'

describe('Secret', () => {
  afterEach(() => vi.restoreAllMocks())

  it('gives the value only through reveal()', () => {
    const secret = new Secret(VALUE)
    expect(secret.reveal()).toBe(VALUE)
    expect(secret.isEmpty).toBe(false)
    expect(new Secret('').isEmpty).toBe(true)
  })

  it('is "[redacted]" as a string, in a template, by concatenation, and in JSON', () => {
    const secret = new Secret(VALUE)
    expect(String(secret)).toBe('[redacted]')
    expect(`${secret}`).toBe('[redacted]')
    expect('token: ' + secret).toBe('token: [redacted]')
    expect(JSON.stringify(secret)).toBe('"[redacted]"')
    expect(JSON.stringify({ nested: { password: secret }, list: [secret] })).toBe('{"nested":{"password":"[redacted]"},"list":["[redacted]"]}')
  })

  it('is "[redacted]" when inspected or formatted, also nested', () => {
    const secret = new Secret(VALUE)
    expect(inspect(secret)).toBe('[redacted]')
    expect(inspect({ deep: { deeper: { secret } } }, { depth: 10, showHidden: true })).not.toContain(VALUE)
    for (const pattern of ['%s', '%o', '%O', '%j']) expect(format(pattern, secret), pattern).not.toContain(VALUE)
    expect(format('%s', { secret })).not.toContain(VALUE)
  })

  it('does not show up in an Error message or in structured clone', () => {
    const secret = new Secret(VALUE)
    expect(new Error(`request failed for ${secret}`).message).not.toContain(VALUE)
    // Private fields are not cloned: a Secret sent over IPC by mistake arrives empty.
    expect(JSON.stringify(structuredClone(secret))).not.toContain(VALUE)
  })

  it('keeps its value out of console output', () => {
    const written: string[] = []
    const capture = (...args: unknown[]): void => void written.push(format(...args))
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation(capture)
    const secret = new Secret(VALUE)
    console.log(secret)
    console.info('password=%s', secret)
    console.warn({ secret })
    console.error('failed', [secret], new Map([['k', secret]]))
    console.debug(`${secret}`)
    expect(written).toHaveLength(5)
    for (const line of written) {
      expect(line).toContain('[redacted]')
      expect(line).not.toContain(VALUE)
    }
  })

  it('has no enumerable property holding the value', () => {
    const secret = new Secret(VALUE)
    expect(Object.keys(secret)).toEqual([])
    expect(Object.values(secret)).toEqual([])
    expect({ ...secret }).toEqual({})
  })
})
