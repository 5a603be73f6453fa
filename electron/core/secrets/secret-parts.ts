/**
 * Secrets larger than one keychain item may hold, stored as several items. Windows Credential
 * Manager caps a credential at 2560 bytes (keytar stores the UTF-8 bytes), and Entra ID or Keycloak
 * access tokens are often longer. A long secret is written as parts under part accounts, then the
 * account itself gets a small manifest naming them; reading follows the manifest.
 *
 * Crash safety: every write uses parts of a fresh generation and switches over by replacing the one
 * manifest item, so a crash between items leaves the previous secret readable (plus unused parts).
 * A manifest whose parts are missing or do not add up to its length and SHA-256 reads as "no
 * secret", never as a wrong one.
 *
 * This layer knows nothing about account naming beyond "an account name": the keychain store
 * passes its accounts through unchanged.
 */
import { createHash, randomBytes } from 'node:crypto'

/** One keychain item per account, as keytar offers it. */
export interface KeychainItems {
  get(account: string): Promise<string | null>
  set(account: string, value: string): Promise<void>
  delete(account: string): Promise<boolean>
  /** Every account name under the store's service. */
  list(): Promise<string[]>
}

/** Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE. macOS Keychain and the Secret Service have no practical cap. */
export const WINDOWS_CREDENTIAL_MAX_BYTES = 2560

export function platformSecretByteLimit(platform: NodeJS.Platform = process.platform): number | null {
  return platform === 'win32' ? WINDOWS_CREDENTIAL_MAX_BYTES : null
}

// U+001D (group separator) starts no password anyone types and no RFC 6749 token.
const MANIFEST_PREFIX = '\u001ddatasource-desk-parts:v1:'
const PART_MARKER = '~part~'

interface Manifest {
  readonly generation: string
  readonly count: number
  readonly byteLength: number
  readonly sha256: string
}

const partPrefix = (account: string, generation: string): string => `${account}${PART_MARKER}${generation}~`
const partAccount = (account: string, generation: string, index: number): string => `${partPrefix(account, generation)}${index}`

/** The account a part belongs to, or null for an ordinary account. */
export function partOwner(account: string): string | null {
  const at = account.lastIndexOf(PART_MARKER)
  return at > 0 ? account.slice(0, at) : null
}

function parseManifest(value: string): Manifest | null {
  if (!value.startsWith(MANIFEST_PREFIX)) return null
  const [generation, count, byteLength, sha256] = value.slice(MANIFEST_PREFIX.length).split(':')
  if (!generation || !/^[0-9a-f]{16}$/.test(generation) || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return null
  const parsed = { generation, count: Number(count), byteLength: Number(byteLength), sha256 }
  return Number.isSafeInteger(parsed.count) && parsed.count > 0 && Number.isSafeInteger(parsed.byteLength) ? parsed : null
}

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex')

/** Splits on code point boundaries into pieces of at most maxBytes UTF-8 bytes each. */
export function splitUtf8(value: string, maxBytes: number): string[] {
  const parts: string[] = []
  let current = ''
  let currentBytes = 0
  for (const codePoint of value) {
    const bytes = Buffer.byteLength(codePoint, 'utf8')
    if (currentBytes + bytes > maxBytes && current !== '') {
      parts.push(current)
      current = ''
      currentBytes = 0
    }
    current += codePoint
    currentBytes += bytes
  }
  if (current !== '') parts.push(current)
  return parts
}

/**
 * Keychain items that hold values of any size. With `maxBytes` null (no platform limit) the items
 * are used as they are.
 */
export function withSecretParts(items: KeychainItems, maxBytes: number | null): KeychainItems {
  if (maxBytes === null) return items
  if (maxBytes < 256) throw new RangeError('A keychain item must hold at least 256 bytes to store secrets in parts')
  const limit = maxBytes
  /** Parts seen by the last list(), per owner: lets delete() and set() remove parts no manifest names. */
  let partsByOwner = new Map<string, string[]>()

  async function readManifest(account: string): Promise<Manifest | null> {
    const value = await items.get(account)
    return value === null ? null : parseManifest(value)
  }

  /** Removes the parts of `account` other than those of `keep` (best effort: they are never read). */
  async function removeParts(account: string, previous: Manifest | null, keep?: string): Promise<boolean> {
    const names = new Set(partsByOwner.get(account) ?? [])
    if (previous && previous.generation !== keep) {
      for (let index = 0; index < previous.count; index++) names.add(partAccount(account, previous.generation, index))
    }
    let removed = false
    for (const name of names) {
      if (keep !== undefined && name.startsWith(partPrefix(account, keep))) continue
      removed = (await items.delete(name)) || removed
    }
    partsByOwner.delete(account)
    return removed
  }

  return {
    async get(account) {
      const value = await items.get(account)
      if (value === null) return null
      const manifest = parseManifest(value)
      if (!manifest) return value
      let whole = ''
      for (let index = 0; index < manifest.count; index++) {
        const part = await items.get(partAccount(account, manifest.generation, index))
        if (part === null) return null
        whole += part
      }
      return Buffer.byteLength(whole, 'utf8') === manifest.byteLength && digest(whole) === manifest.sha256 ? whole : null
    },

    async set(account, value) {
      if (partOwner(account) !== null) throw new TypeError(`An account name may not contain "${PART_MARKER}"`)
      const previous = await readManifest(account)
      const byteLength = Buffer.byteLength(value, 'utf8')
      // A value that looks like a manifest is stored in parts too, so reading it back is unambiguous.
      if (byteLength <= limit && !value.startsWith(MANIFEST_PREFIX)) {
        await items.set(account, value)
        await removeParts(account, previous)
        return
      }
      const generation = randomBytes(8).toString('hex')
      const parts = splitUtf8(value, limit)
      for (const [index, part] of parts.entries()) await items.set(partAccount(account, generation, index), part)
      // The switch-over: until this item is replaced, readers get the previous secret whole.
      await items.set(account, `${MANIFEST_PREFIX}${generation}:${parts.length}:${byteLength}:${digest(value)}`)
      await removeParts(account, previous, generation)
    },

    async delete(account) {
      const previous = await readManifest(account)
      // The manifest first: from then on nothing points at the parts.
      const deleted = await items.delete(account)
      return (await removeParts(account, previous)) || deleted
    },

    async list() {
      const names = await items.list()
      const owners = new Map<string, string[]>()
      const accounts = new Set<string>()
      for (const name of names) {
        const owner = partOwner(name)
        if (owner === null) {
          accounts.add(name)
          continue
        }
        owners.set(owner, [...(owners.get(owner) ?? []), name])
        // Parts left without their manifest (a crash during a write) are listed under their
        // owner's name, so a sweep that deletes the owner removes them too.
        accounts.add(owner)
      }
      partsByOwner = owners
      return [...accounts]
    },
  }
}
