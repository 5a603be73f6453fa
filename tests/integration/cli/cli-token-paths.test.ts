/**
 * What `datasource-desk token` loads and runs (issue 14): the fast path and the due path never
 * load zod (about a third of a due call's time) and no command runs SQLite's whole-file
 * quick_check, whose cost grows with the database (the app runs it at start-up). A small preload
 * hook in the child records every module it requires and every pragma it runs.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMPILE_CACHE_DIR } from '../../../electron/cli/compile-cache'
import { DATABASE_FILE } from '../../../electron/core/core'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-paths-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-paths-')
const traceDir = makeTempDir('dsd-cli-trace-')
const hook = join(traceDir.dir, 'trace.cjs')
let server: OAuthTestServer

interface Trace {
  readonly modules: string[]
  readonly pragmas: string[]
}

async function traced(args: ReadonlyArray<string>, input?: string): Promise<{ result: CliResult; trace: Trace }> {
  const file = join(traceDir.dir, `${randomUUID()}.json`)
  const result = await runCli(args, {
    input,
    env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, NODE_OPTIONS: `--require ${hook}`, DSD_TRACE_FILE: file },
  })
  return { result, trace: JSON.parse(readFileSync(file, 'utf8')) as Trace }
}

/** Leaves 10 s of an hour-long token: due for renewal, not expired. */
function makeDue(): void {
  const db = new Database(join(dataDir.dir, DATABASE_FILE))
  const now = Date.now()
  db.prepare('UPDATE tokens SET obtained_at = ?, expires_at = ?').run(now - 3_590_000, now + 10_000)
  db.close()
}

beforeAll(async () => {
  requireKeyringSession()
  writeFileSync(
    hook,
    `const Module = require('node:module')
const { writeFileSync } = require('node:fs')
const modules = new Set()
const pragmas = []
const load = Module._load
Module._load = function (request, ...rest) {
  modules.add(request)
  const loaded = load.call(this, request, ...rest)
  if (request === 'better-sqlite3' && !loaded.prototype.__traced) {
    const pragma = loaded.prototype.pragma
    loaded.prototype.pragma = function (source, ...more) { pragmas.push(String(source)); return pragma.call(this, source, ...more) }
    loaded.prototype.__traced = true
  }
  return loaded
}
process.on('exit', () => writeFileSync(process.env.DSD_TRACE_FILE, JSON.stringify({ modules: [...modules], pragmas })))
`,
  )
  await ensureCliBuilt()
  server = await startOAuthServer({ tokenLifetime: 3600 })
  const added = await runCli(
    ['add', 'crm', '--token-url', server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--scope', 'read', '--client-secret-stdin', '--password-stdin'],
    { input: `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } },
  )
  expect(added.stderr).toBe('')
  expect(added.code).toBe(0)
}, 120_000)

afterAll(async () => {
  await server?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
  traceDir.cleanup()
})

describe('datasource-desk token: what each path loads', () => {
  it('answers a fresh token without zod, the OAuth client or a quick_check, and without a request', async () => {
    server.resetCounts()
    const { result, trace } = await traced(['token', 'crm'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\S+\n$/)
    expect(server.counts.allRequests).toBe(0)
    expect(trace.modules).toContain('better-sqlite3')
    expect(trace.modules).not.toContain('zod')
    expect(trace.modules).not.toContain('oauth4webapi')
    expect(trace.pragmas.join(' ')).not.toMatch(/quick_check|integrity_check/)
  })

  it('renews a due token with one request, loading the OAuth client but not zod, and no quick_check', async () => {
    const before = (await traced(['token', 'crm'])).result.stdout
    makeDue()
    server.resetCounts()
    const { result, trace } = await traced(['token', 'crm'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).not.toBe(before)
    expect(server.counts.tokenRequests).toBe(1)
    expect(trace.modules).toContain('oauth4webapi')
    expect(trace.modules).not.toContain('zod')
    expect(trace.pragmas.join(' ')).not.toMatch(/quick_check|integrity_check/)
    // Served from the cache afterwards, by the fast path.
    server.resetCounts()
    expect((await traced(['header', 'crm'])).result.stdout).toBe(`Authorization: Bearer ${result.stdout}`)
    expect(server.counts.allRequests).toBe(0)
  })

  it('runs no quick_check for any other command either', async () => {
    const { result, trace } = await traced(['list'])
    expect(result.code).toBe(0)
    expect(trace.modules).toContain('zod')
    expect(trace.pragmas.join(' ')).not.toMatch(/quick_check|integrity_check/)
  })
})

describe('datasource-desk: compiled code kept between runs', () => {
  const cacheFiles = (): string[] => {
    const root = join(dataDir.dir, COMPILE_CACHE_DIR)
    return readdirSync(root).flatMap((version) => readdirSync(join(root, version)).map((name) => join(root, version, name)))
  }

  it('keeps it in the data folder, private, and renews a due token as before from a damaged cache', async () => {
    await runCli(['token', 'crm'], { env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })
    expect((statSync(join(dataDir.dir, COMPILE_CACHE_DIR)).mode & 0o777).toString(8)).toBe('700')
    // Node wrote the chunks' code there (the entry file, compiled before the cache is on, is not).
    expect(cacheFiles().length).toBeGreaterThan(0)

    // Every entry keeps Node's 20-byte header (magic, sizes, hashes) over a damaged body, as a torn
    // or tampered write would: Node must find the body's hash wrong and compile from source.
    for (const file of cacheFiles()) {
      const entry = readFileSync(file)
      writeFileSync(file, Buffer.concat([entry.subarray(0, 20), Buffer.alloc(entry.length - 20, 0x5a)]))
    }
    makeDue()
    server.resetCounts()
    const { result } = await traced(['token', 'crm'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\S+\n$/)
    expect(server.counts.tokenRequests).toBe(1)
  })
})
