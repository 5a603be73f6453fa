/**
 * Text that came from somewhere we do not control (a token server's answer, an imported file, a
 * database written by an older version) before it reaches a terminal, a window, a log or an OS
 * notification. A terminal obeys escape sequences (clear the screen, set the title, move the
 * cursor); bidi overrides reorder what the user reads; zero-width characters make two different
 * names look the same. One module, used by the core and the CLI alike (issue 11, item 4).
 */

/**
 * C0 controls, DEL, C1 controls, the soft hyphen, bidi marks, embeddings, overrides and isolates,
 * zero-width and invisible formatting characters, line and paragraph separators, the BOM and the
 * interlinear annotation controls.
 */
const UNSAFE_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]/u
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, 'gu')
/** Lone surrogates cannot be shown and break some terminals' width tables. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
/** Ordinary whitespace that only moves the text: shown as one space. */
const LAYOUT_WHITESPACE = /[\t\r\n]+/g

/** Server-chosen text is cut after this many characters wherever it is shown. */
export const MAX_UNTRUSTED_TEXT = 500

/** True when the text holds a character that `showUntrusted` would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  LONE_SURROGATES.lastIndex = 0
  return UNSAFE_CHARACTER.test(text) || LONE_SURROGATES.test(text)
}

/** `\u{202E}` for U+202E: visible, and what the user would type to search for it. */
const escapeCharacter = (character: string): string => `\\u{${character.codePointAt(0)!.toString(16).toUpperCase()}}`

/**
 * The text as it may be shown: tabs and line breaks become a space, every other control, bidi or
 * invisible character a visible `\u{...}` escape, and the result is cut at `max` characters.
 */
export function showUntrusted(text: string, max: number = MAX_UNTRUSTED_TEXT): string {
  const shown = text
    .replace(LAYOUT_WHITESPACE, ' ')
    .replace(UNSAFE_CHARACTERS, escapeCharacter)
    .replace(LONE_SURROGATES, escapeCharacter)
  if (shown.length <= max) return shown
  // Never cut a surrogate pair in half.
  const last = shown.charCodeAt(max - 1)
  const cut = last >= 0xd800 && last <= 0xdbff ? shown.slice(0, max - 1) : shown.slice(0, max)
  return `${cut}...`
}

/**
 * RFC 6749 Appendix A: VSCHAR = %x20-7E. The refresh token only ever travels in a form body, so
 * the full range is accepted for it.
 */
export const VSCHARS = /^[\x20-\x7E]+$/
/**
 * An access token goes into an `Authorization: Bearer` header and is printed for shell scripts
 * (`token`, `header`), so it is also refused with a space in it: VSCHAR minus SP. (RFC 6750's
 * b64token is narrower still; servers do issue tokens outside it, so we stop at what is safe.)
 */
export const ACCESS_TOKEN_CHARS = /^[\x21-\x7E]+$/
/**
 * RFC 6749 3.3 and Appendix A: scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR.
 * An empty string is accepted as "no scope" (some servers send it).
 */
export const SCOPE_TOKENS = /^(?:[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*)?$/
