/**
 * Is a frame's URL our renderer? Part of the IPC sender check (ipc.ts). Kept free of 'electron' so
 * every platform's path rules are tested on any machine.
 */
import { posix, win32 } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where the renderer comes from: the built file, or electron-vite's dev server in development. */
export type RendererTarget = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'dev'; readonly url: string }

/**
 * True for the URLs of our own renderer, and nothing else. A file target is compared as a path on
 * `platform`'s terms, because Chromium's file: URL and the path we built differ in ways that do not
 * change the file: Windows drive-letter case (Chromium upper-cases it) and path case, UNC hosts,
 * percent-escapes, Unicode normalization on macOS. The hash (client-side routes) and query do not
 * matter.
 */
export function createAppUrlCheck(target: RendererTarget, platform: NodeJS.Platform = process.platform): (url: string) => boolean {
  if (target.kind === 'dev') {
    const origin = new URL(target.url).origin
    return (url) => parseUrl(url)?.origin === origin
  }
  const windows = platform === 'win32'
  const expected = comparablePath(target.path, platform)
  return (url) => {
    const parsed = parseUrl(url)
    if (!parsed || parsed.protocol !== 'file:') return false
    // Outside Windows a host names a remote file, never ours; on Windows it is a UNC share, which
    // the comparison below accepts only when the app itself runs from that share.
    if (!windows && parsed.host !== '' && parsed.host !== 'localhost') return false
    const path = filePathOf(parsed, windows)
    return path !== null && comparablePath(path, platform) === expected
  }
}

function filePathOf(url: URL, windows: boolean): string | null {
  const bare = new URL(url.href)
  bare.hash = ''
  bare.search = ''
  // A '%' that starts no escape (a folder named "100%") makes fileURLToPath throw "URI malformed".
  bare.pathname = bare.pathname.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
  try {
    return fileURLToPath(bare, { windows })
  } catch {
    // Encoded separators (%2F, %5C): no path of ours looks like that.
    return null
  }
}

function comparablePath(path: string, platform: NodeJS.Platform): string {
  // NTFS and the default APFS volumes are case-insensitive; macOS may hand out decomposed (NFD) names.
  if (platform === 'win32') return win32.normalize(path).normalize('NFC').toLowerCase()
  const normalized = posix.normalize(path).normalize('NFC')
  return platform === 'darwin' ? normalized.toLowerCase() : normalized
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}
