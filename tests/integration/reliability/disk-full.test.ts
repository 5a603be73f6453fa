/**
 * A full disk for real: the data folder on a small tmpfs that a filler file fills up, so SQLite
 * meets ENOSPC itself. Where mounting is not permitted (not root), or with DSD_DISK_FULL_FALLBACK=1,
 * the test says so and uses SQLite's own limit for the CLI instead (PRAGMA max_page_count, set on
 * every connection the command opens by tests/support/sqlite-page-limit-hook.mjs): a real
 * SQLITE_FULL from SQLite. Either way the command and the app must say what to do, lose nothing,
 * and work again once there is space.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { createCore, DATABASE_FILE } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { passwordForm, unwrap } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-disk-full-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const mountDir = makeTempDir('dsd-disk-full-')
const cliDataDir = join(mountDir.dir, 'cli')
const filler = join(mountDir.dir, 'filler')
const pageLimitHook = pathToFileURL(resolve(__dirname, '../../support/sqlite-page-limit-hook.mjs')).href
// Decided before the tests are collected: the app's case needs the real full disk.
const mounted = process.env.DSD_DISK_FULL_FALLBACK === '1' ? null : spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountDir.dir], { encoding: 'utf8' })
const mode: 'tmpfs' | 'page-limit' = mounted?.status === 0 ? 'tmpfs' : 'page-limit'
let full = false
let server: OAuthTestServer

function cli(args: ReadonlyArray<string>, input = ''): Promise<CliResult> {
  const limit = full && mode === 'page-limit' ? { NODE_OPTIONS: `--import ${pageLimitHook}`, DSD_SQLITE_PAGE_LIMIT: '1' } : {}
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: cliDataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, ...limit } })
}

/** Fills the tmpfs to the last byte (page-limit mode: the next commands get SQLite's limit). */
function fillDisk(): void {
  full = true
  if (mode !== 'tmpfs') return
  const fd = openSync(filler, 'w')
  try {
    // tmpfs gives whole pages: once a big write fails, a page-sized one may still fit.
    for (const size of [64 * 1024, 4096]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      }
    }
  } finally {
    closeSync(fd)
  }
}

function freeDisk(): void {
  full = false
  if (mode === 'tmpfs') unlinkSync(filler)
}

function integrity(dir: string): unknown {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true })
  try {
    return db.pragma('integrity_check', { simple: true })
  } finally {
    db.close()
  }
}

// 8 KB of extra parameters: a row bigger than a page, so its insert needs new (overflow) pages.
const BIG_PARAMS = ['w', 'x', 'y', 'z'].flatMap((letter) => ['--param', `${letter}=${letter.repeat(2_000)}`])
const addTwo = (): string[] => ['add', 'two', '--token-url', server.tokenUrl, '--client-id', 'public', '--username', 'u', '--client-auth', 'none', '--no-remember-password', '--no-test', ...BIG_PARAMS]

beforeAll(async () => {
  requireKeyringSession()
  if (mode === 'page-limit') {
    const why = mounted ? (mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim() : 'DSD_DISK_FULL_FALLBACK=1'
    console.warn(`disk-full: no tmpfs (${why}); the CLI's case uses SQLite's max_page_count instead, and the app's case does not run`)
  }
  mkdirSync(cliDataDir, { recursive: true })
  await ensureCliBuilt()
  server = await startOAuthServer()
}, 120_000)

afterAll(async () => {
  await server?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  if (mode === 'tmpfs') spawnSync('umount', ['-l', mountDir.dir])
  rmSync(mountDir.dir, { recursive: true, force: true })
})

describe(`a full disk under the data folder (${mode})`, () => {
  it('the CLI says there is no space and to run it again, changes nothing, and works once there is space', async () => {
    const added = await cli(
      ['add', 'crm', '--token-url', server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'],
      `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`,
    )
    expect(added.code, added.stderr).toBe(0)
    const before = (await cli(['status', 'crm', '--json'])).stdout
    const tokenBefore = (await cli(['token', 'crm'])).stdout

    fillDisk()
    // On a full tmpfs even a reader cannot open the database (WAL needs its -shm page); under
    // SQLite's page limit only a write that needs a new page fails (a row bigger than a page).
    const refused = mode === 'tmpfs' ? [['list'], ['renew', 'crm'], ['token', 'crm'], addTwo()] : [addTwo()]
    for (const args of refused) {
      const result = await cli(args)
      expect(result.code, `${args.slice(0, 2).join(' ')}: ${result.stderr}`).toBe(EXIT_CODES.failure)
      expect(result.stderr).toMatch(mode === 'tmpfs' ? /there is no space left on its disk \(SQLITE_IOERR_SHMSIZE\)/ : /disk is not full/)
      expect(result.stderr).toContain('run the command again')
      expect(result.stderr).not.toMatch(/Something went wrong|retr(y|ied|ies)/i)
      expect(result.stdout).toBe('')
    }

    freeDisk()
    // Nothing lost, nothing half-written: the same datasource and token, no "two", a sound file.
    expect((await cli(['status', 'crm', '--json'])).stdout).toBe(before)
    expect((await cli(['token', 'crm'])).stdout).toBe(tokenBefore)
    expect((await cli(['status', 'two'])).code).toBe(EXIT_CODES.unknownDatasource)
    expect(integrity(cliDataDir)).toBe('ok')
    // And the next commands work.
    expect((await cli(['renew', 'crm'])).code).toBe(0)
    expect((await cli(addTwo())).code).toBe(0)
    expect((await cli(['token', 'crm'])).stdout).not.toBe(tokenBefore)
  }, 180_000)

  // SQLite's page limit would have to be set on the core's own connection, which only a hook in
  // the product could do; the tmpfs needs none (and is there wherever the tests run as root).
  it.runIf(mode === 'tmpfs')('the app, running when the disk fills up: Save and renewal say so, keep what was stored, and work once there is space', async () => {
    const appDir = join(mountDir.dir, 'app')
    const core = await createCore({ dataDir: appDir, secretStore: secrets, fetch: globalThis.fetch, clock: systemClock, random: Math.random, notify: () => {} })
    try {
      const saved = unwrap(await core.handlers.saveDatasource({ input: passwordForm(server) }))
      const first = unwrap(await core.handlers.renewNow({ id: saved.id }))
      const accessToken = (await core.service.readSecret(saved.id, 'access-token'))?.reveal()
      expect(accessToken).toBeTruthy()

      fillDisk()
      const refused = await core.handlers.saveDatasource({ input: passwordForm(server, {}, 'Second') })
      expect(refused).toMatchObject({ ok: false, error: { kind: 'storage', hint: expect.stringContaining('Check that the disk is not full') } })
      // The renewal cannot record its lease: a storage error to retry, never "failed unexpectedly".
      const renewal = unwrap(await core.handlers.renewNow({ id: saved.id }))
      expect(renewal).toMatchObject({ state: 'retrying', lastError: { kind: 'storage', transient: true }, token: first.token })
      expect(renewal.lastError?.hint).toContain('Check that the disk is not full')
      expect(core.service.list().map((view) => view.name)).toEqual(['CRM'])
      expect((await core.service.readSecret(saved.id, 'access-token'))?.reveal()).toBe(accessToken)

      freeDisk()
      const renewed = unwrap(await core.handlers.renewNow({ id: saved.id }))
      expect(renewed).toMatchObject({ state: 'idle', lastError: null })
      expect(renewed.token?.obtainedAt).toBeGreaterThan(first.token!.obtainedAt)
      unwrap(await core.handlers.saveDatasource({ input: passwordForm(server, {}, 'Second') }))
      expect(core.service.list().map((view) => view.name).sort()).toEqual(['CRM', 'Second'])
      // The refused Save left no secrets behind.
      const owners = new Set<string>(core.service.list().map((view) => view.id))
      await expect.poll(async () => (await secrets.accounts()).filter((account) => parseSecretAccount(account)?.databaseId === core.repo.databaseId() && !owners.has(parseSecretAccount(account)!.datasourceId))).toEqual([])
    } finally {
      await core.close()
    }
    expect(integrity(appDir)).toBe('ok')
  }, 120_000)
})
