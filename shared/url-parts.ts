/**
 * Parts of a URL that may not parse (typed by the user, stored, or sent by a server): the callers
 * compare origins and name hosts in messages, and must not throw on a bad value.
 */

/** The origin ("https://auth.example.com:8443") or null when the value is not a URL. */
export function urlOrigin(value: string): string | null {
  try {
    return new URL(value).origin
  } catch {
    return null
  }
}

/** The host with its port ("auth.example.com:8443"), or `fallback` when the value is not a URL. */
export function urlHost(value: string, fallback = 'an invalid URL'): string {
  try {
    return new URL(value).host
  } catch {
    return fallback
  }
}
