/**
 * Issue 11, item 7: orphans the CLI used to leave for good, with real processes and the real
 * keyring (with-keyring.sh). The built command is SIGKILLed at each keychain step of `add`
 * (tests/support/keychain-kill-hook.mjs wraps keytar as the command loads it; the product has no
 * hook); a `remove` runs in another process while a `renew` waits at a holding proxy; a `remove`
 * meets a keychain that never answers. Afterwards the next command that changes datasources on
 * that data folder deletes exactly that folder's leftovers, never another folder's.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { DATABASE_FILE_NAME } from '../../../electron/core/locations'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import { ensureCliBuilt, repoRoot, runCli, type CliResult } from '../../support/cli-runner'
import { startHoldingProxy, type HoldingProxy } from '../../support/holding-proxy'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-cli-orphans-${randomUUID()}`
const keychain = createKeytarSecretStore(keychainService)
// Two data folders sharing one keychain service, as a user with --data-dir has.
const folder = makeTempDir('dsd-cli-orphans-')
const otherFolder = makeTempDir('dsd-cli-orphans-other-')
const scriptFolder = makeTempDir('dsd-cli-orphans-script-')
const KILL_HOOK = pathToFileURL(join(repoRoot, 'tests', 'support', 'keychain-kill-hook.mjs')).href
let server: OAuthTestServer

function cli(args: ReadonlyArray<string>, options: { dir?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return runCli(args, {
    input: options.input ?? '',
    env: { DATASOURCE_DESK_DATA_DIR: options.dir ?? folder.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, ...options.env },
  })
}

function add(name: string, options: { dir?: string; env?: NodeJS.ProcessEnv; tokenUrl?: string } = {}): Promise<CliResult> {
  return cli(
    ['add', name, '--token-url', options.tokenUrl ?? server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'],
    { ...options, input: `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n` },
  )
}

function killedAt(step: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--import ${KILL_HOOK}`, DSD_KILL_AT: step }
}

/** What SQLite of a data folder says: its database id, the accounts it points to, pending writes. */
function stored(dir: string): { databaseId: string; pointed: Set<string>; pending: number; names: string[] } {
  const db = new Database(join(dir, DATABASE_FILE_NAME), { readonly: true })
  try {
    return {
      databaseId: (db.prepare('SELECT id FROM database_identity').get() as { id: string }).id,
      pointed: new Set((db.prepare('SELECT account FROM secret_accounts').all() as Array<{ account: string }>).map((row) => row.account)),
      pending: (db.prepare('SELECT COUNT(*) AS n FROM secret_writes').get() as { n: number }).n,
      names: (db.prepare('SELECT name FROM datasources ORDER BY name').all() as Array<{ name: string }>).map((row) => row.name),
    }
  } finally {
    db.close()
  }
}

/** The keychain entries of a data folder's database that its SQLite does not point to. */
async function orphansOf(dir: string): Promise<string[]> {
  const { databaseId, pointed } = stored(dir)
  return (await keychain.accounts()).filter((account) => parseSecretAccount(account)?.databaseId === databaseId && !pointed.has(account))
}

async function entriesOf(dir: string): Promise<string[]> {
  const { databaseId } = stored(dir)
  return (await keychain.accounts()).filter((account) => parseSecretAccount(account)?.databaseId === databaseId).sort()
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
  // Each folder gets its database (and its id) and one datasource with all four secrets.
  expect((await add('kept')).code).toBe(0)
  expect((await add('theirs', { dir: otherFolder.dir })).code).toBe(0)
}, 120_000)

afterAll(async () => {
  await server?.close()
  for (const account of await keychain.accounts().catch(() => [])) await keychain.delete(account).catch(() => false)
  folder.cleanup()
  otherFolder.cleanup()
  scriptFolder.cleanup()
})

describe('a script that renews through `token`, with the app never running', () => {
  /** Leaves 10 s of the hour-long token: due for renewal, not expired. */
  function makeDue(dir: string): void {
    const db = new Database(join(dir, DATABASE_FILE_NAME))
    const now = Date.now()
    db.prepare('UPDATE tokens SET obtained_at = ?, expires_at = ?').run(now - 3_590_000, now + 10_000)
    db.close()
  }

  it('leaves at most the last call\'s two old versions in the keychain, however many calls renew', async () => {
    expect((await add('scripted', { dir: scriptFolder.dir })).code).toBe(0)
    const tokens = new Set<string>()
    for (let call = 0; call < 6; call++) {
      makeDue(scriptFolder.dir)
      const result = await cli(['token', 'scripted'], { dir: scriptFolder.dir })
      expect(result.code).toBe(EXIT_CODES.success)
      tokens.add(result.stdout)
      // Each renewal releases the old access and refresh tokens (the server rotates them); the
      // next due call deletes them. Before, every call left two more for good.
      expect(await orphansOf(scriptFolder.dir)).toHaveLength(2)
    }
    expect(tokens.size).toBe(6)
    // The client secret, the password and the current two tokens, plus the last call's two.
    expect(await entriesOf(scriptFolder.dir)).toHaveLength(6)
  })
})

describe('a killed add (item 7)', () => {
  it('killed before and after each keychain write: no datasource, and the next add deletes what it wrote, leaving the other folder alone', async () => {
    const theirs = await entriesOf(otherFolder.dir)
    expect(theirs).toHaveLength(4)
    let step = 0
    let completed = false
    for (let write = 1; !completed; write++) {
      for (const when of ['before', 'after'] as const) {
        step++
        const name = `killed-${step}`
        const killed = await add(name, { env: killedAt(`${when}:set:${write}`) })
        if (killed.code === 0) {
          // Past the last keychain write: the add completed, so every step before it was tried.
          completed = true
          break
        }
        expect(killed.code, `${when}:set:${write}: ${killed.stderr}`).toBeNull()
        expect(stored(folder.dir).names).not.toContain(name)
        const left = await orphansOf(folder.dir)
        if (when === 'after') expect(left.length, `${when}:set:${write}`).toBeGreaterThan(0)
        expect(stored(folder.dir).pending, `${when}:set:${write}`).toBeGreaterThan(0)

        // Any command that changes datasources on this folder cleans up; this one writes no secret.
        const next = await cli(['add', `marker-${step}`, '--auth', 'none', '--no-test'])
        expect(next.code, next.stderr).toBe(0)
        expect(await orphansOf(folder.dir), `${when}:set:${write}`).toEqual([])
        expect(stored(folder.dir).pending).toBe(0)
        expect(await entriesOf(otherFolder.dir)).toEqual(theirs)
      }
    }
    // Four secrets: client secret, password, access token, refresh token.
    expect(step).toBe(9)
    // The datasource from before still works with its secrets.
    expect((await cli(['renew', 'kept'])).code).toBe(0)
  }, 180_000)

  it("a killed add in another folder is cleaned only by that folder's commands", async () => {
    const killed = await add('killed-there', { dir: otherFolder.dir, env: killedAt('after:set:2') })
    expect(killed.code).toBeNull()
    const left = await orphansOf(otherFolder.dir)
    expect(left).toHaveLength(2)
    expect((await cli(['add', 'marker-here', '--auth', 'none', '--no-test'])).code).toBe(0)
    expect(await orphansOf(otherFolder.dir)).toEqual(left)
    expect((await cli(['add', 'marker-there', '--auth', 'none', '--no-test'], { dir: otherFolder.dir })).code).toBe(0)
    expect(await orphansOf(otherFolder.dir)).toEqual([])
  }, 60_000)

  it('a remove killed after its commit, before the keychain deletes: the next command deletes the entries', async () => {
    expect((await add('removed-killed')).code).toBe(0)
    const before = (await entriesOf(folder.dir)).length
    const killed = await cli(['remove', 'removed-killed', '--yes'], { env: killedAt('before:delete:1') })
    expect(killed.code).toBeNull()
    expect(stored(folder.dir).names).not.toContain('removed-killed')
    expect(await orphansOf(folder.dir)).toHaveLength(4)
    expect((await cli(['add', 'marker-after-remove', '--auth', 'none', '--no-test'])).code).toBe(0)
    expect(await orphansOf(folder.dir)).toEqual([])
    expect((await entriesOf(folder.dir)).length).toBe(before - 4)
  }, 60_000)
})

describe('remove while another process renews (item 7)', () => {
  let proxy: HoldingProxy

  beforeAll(async () => {
    proxy = await startHoldingProxy(server.tokenUrl)
  })
  afterAll(async () => {
    proxy.release()
    await proxy.close()
  })

  it.each(['refresh', 'password'] as const)('renew (%s grant) held at the server, remove in another process: nothing written after, never "Renewed"', async (grant) => {
    proxy.release()
    const name = `renewing-${grant}`
    expect((await add(name, { tokenUrl: proxy.tokenUrl })).code).toBe(0)
    const id = (JSON.parse((await cli(['status', name, '--json'])).stdout) as { id: string }).id
    if (grant === 'password') {
      // Without a refresh token the renewal uses the password grant.
      const db = new Database(join(folder.dir, DATABASE_FILE_NAME))
      db.prepare('UPDATE tokens SET has_refresh_token = 0 WHERE datasource_id = ?').run(id)
      db.close()
    }
    proxy.hold()
    const renewal = cli(['renew', name])
    await proxy.waitForArrivals(1)
    const removed = await cli(['remove', name, '--yes'])
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toBe(`Removed "${name}".\n`)
    proxy.release()

    const renewed = await renewal
    expect(renewed.stdout).not.toContain('Renewed')
    expect(renewed.code).toBe(EXIT_CODES.unknownDatasource)
    expect(renewed.stderr).toContain('no longer exists')
    // Nothing of it in the keychain: the token the server issued was discarded before any write.
    expect((await keychain.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === id)).toEqual([])
    expect(stored(folder.dir).pending).toBe(0)
  }, 60_000)
})
