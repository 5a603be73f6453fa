import { describe, expect, it } from 'vitest'
import { ACCESS_TOKEN_CHARS, hasUnsafeCharacters, SCOPE_TOKENS, showUntrusted, VSCHARS } from '../../../shared/untrusted-text'

describe('showUntrusted (issue 11, item 4)', () => {
  it.each([
    ['\u001b]0;owned\u0007title', '\\u{1B}]0;owned\\u{7}title'],
    ['clear\u001b[2J', 'clear\\u{1B}[2J'],
    ['c1 \u009b31m', 'c1 \\u{9B}31m'],
    ['bidi \u202Etxt.exe', 'bidi \\u{202E}txt.exe'],
    ['isolate \u2066x\u2069', 'isolate \\u{2066}x\\u{2069}'],
    ['zero\u200bwidth\u200d\ufeff', 'zero\\u{200B}width\\u{200D}\\u{FEFF}'],
    ['nul\u0000', 'nul\\u{0}'],
    ['line\r\nfake: ok\tx', 'line fake: ok x'],
    ['sep\u2028x', 'sep\\u{2028}x'],
    ['lone \ud800 surrogate', 'lone \\u{D800} surrogate'],
    ['plain text, ünïcödé and emoji 🙂', 'plain text, ünïcödé and emoji 🙂'],
  ])('%j is shown as %j', (input, shown) => {
    expect(showUntrusted(input)).toBe(shown)
  })

  it('caps the length without splitting a surrogate pair', () => {
    expect(showUntrusted('x'.repeat(2000))).toBe(`${'x'.repeat(500)}...`)
    expect(showUntrusted(`${'x'.repeat(9)}🙂🙂`, 10)).toBe(`${'x'.repeat(9)}...`)
  })

  it('knows which text needs it', () => {
    expect(hasUnsafeCharacters('cr\u200bm')).toBe(true)
    expect(hasUnsafeCharacters('a\u202Eb')).toBe(true)
    expect(hasUnsafeCharacters('Ana Müller')).toBe(false)
  })
})

describe('RFC 6749 Appendix A character sets', () => {
  it('access tokens: printable ASCII without space', () => {
    expect(ACCESS_TOKEN_CHARS.test('eyJhbGciOi.J9-_~+/=')).toBe(true)
    for (const bad of ['a\r\nX-Injected: 1', 'a b', 'tökén', '', 'a\u0000']) expect(ACCESS_TOKEN_CHARS.test(bad), bad).toBe(false)
  })
  it('refresh tokens: VSCHAR (space allowed)', () => {
    expect(VSCHARS.test('a b~')).toBe(true)
    for (const bad of ['a\nb', 'ü', '']) expect(VSCHARS.test(bad), bad).toBe(false)
  })
  it('scope: scope tokens separated by single spaces', () => {
    for (const good of ['', 'read', 'read write', 'https://api.example/x.read']) expect(SCOPE_TOKENS.test(good), good).toBe(true)
    for (const bad of ['read\u001b[2J', 'a "b"', 'a\\b', ' read', 'read  write', 'read\nwrite', 'rëad']) expect(SCOPE_TOKENS.test(bad), bad).toBe(false)
  })
})
