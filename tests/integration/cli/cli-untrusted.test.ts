/**
 * Issue 11 from the command line, items 3, 4, 6 and 9: what reaches a terminal or a script. A real
 * OAuth server and the hostile one on 127.0.0.1, the real keyring, the built command. Data an
 * older version could have stored (raw escape sequences, an Infinity expiry, a token with CR/LF)
 * is planted straight into SQLite and the keychain.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORT_FORMAT, EXPORT_VERSION } from '../../../electron/cli/datasource-options'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { DATABASE_FILE } from '../../../electron/core/core'
import { basicForms, wireForms } from '../../../electron/core/oauth/redaction'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { Secret } from '../../../electron/core/secrets/secret'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { ECHO_ROUTES, startHostileServer, type HostileServer } from '../../support/hostile-server'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { storedAccount } from '../../support/stored-secrets'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-cli-untrusted-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-untrusted-')
let server: OAuthTestServer
let hostile: HostileServer

const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/

function cli(args: ReadonlyArray<string>, input = ''): Promise<CliResult> {
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })
}

function add(name: string, tokenUrl: string, clientSecret: string = CONFIDENTIAL_CLIENT.secret, password: string = TEST_USER.password, extra: string[] = []): Promise<CliResult> {
  return cli(
    ['add', name, '--token-url', tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin', ...extra],
    `${clientSecret}\n${password}\n`,
  )
}

function database(): Database.Database {
  return new Database(join(dataDir.dir, DATABASE_FILE))
}

function idOf(name: string): string {
  const db = database()
  try {
    return (db.prepare('SELECT id FROM datasources WHERE name = ?').get(name) as { id: string }).id
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer()
  hostile = await startHostileServer()
}, 120_000)

afterAll(async () => {
  await server?.close()
  await hostile?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
})

describe('what the command prints is safe for a terminal (item 4)', () => {
  it('stored text with escape sequences and bidi overrides is printed as visible escapes', async () => {
    expect((await add('legacy', server.tokenUrl)).code).toBe(0)
    const id = idOf('legacy')
    const db = database()
    db.prepare('UPDATE datasources SET username = ?, client_id = ? WHERE id = ?').run('ana\u001b]0;owned\u0007', 'desk\u202Etneilc', id)
    db.prepare('UPDATE tokens SET granted_scope = ? WHERE datasource_id = ?').run('read\u001b[2J\u009b', id)
    db.close()
    for (const args of [['status', 'legacy'], ['list'], ['status']]) {
      const result = await cli(args)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout, args.join(' ')).not.toMatch(TERMINAL_CONTROL)
    }
    const details = await cli(['status', 'legacy'])
    expect(details.stdout).toContain('ana\\u{1B}]0;owned\\u{7}')
    expect(details.stdout).toContain('desk\\u{202E}tneilc')
    expect(details.stdout).toContain('read\\u{1B}[2J\\u{9B}')
  })

  it('a stored access token with CR/LF is never printed by token or header: it is renewed first', async () => {
    expect((await add('crlf', server.tokenUrl)).code).toBe(0)
    const id = idOf('crlf')
    await secrets.set(storedAccount(dataDir.dir, id, 'access-token')!, new Secret('abc\r\nX-Injected: 1'))
    for (const command of ['token', 'header']) {
      const result = await cli([command, 'crlf'])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.slice(0, -1)).not.toMatch(/[\r\n]/)
      expect(result.stdout).not.toContain('X-Injected')
    }
  })

  it('a server scope with escape sequences is refused with a clear message, nothing printed raw', async () => {
    const result = await add('scope-escape', hostile.url('/inject/scope-escape'))
    expect(result.code).toBe(EXIT_CODES.invalidResponse)
    expect(result.stderr).toContain('scope tokens')
    expect(result.stderr).not.toMatch(TERMINAL_CONTROL)
  })

  it('an error description with controls is shown on one line, escaped', async () => {
    const result = await add('description', hostile.url('/inject/description'))
    expect(result.code).toBe(EXIT_CODES.authentication)
    expect(result.stderr).toContain('Server description: Wrong hint: all fine\\u{1B}[2J \\u{202E}evil\\u{9B} \\u{200B}x')
    expect(result.stderr.split('\n').filter((line) => line.startsWith('hint: all fine'))).toEqual([])
  })

  it('import refuses a username or client id with ESC, a name with a zero-width space: exit 2', async () => {
    const file = join(dataDir.dir, 'hostile-import.json')
    const entry = (overrides: Record<string, unknown>, auth: Record<string, unknown> = {}) => ({
      name: 'imported',
      url: '',
      auth: { type: 'oauth2-password', tokenUrl: server.tokenUrl, clientId: 'desk', clientAuth: 'basic', username: 'ana', rememberPassword: true, scope: '', extraParams: [], ...auth },
      ...overrides,
    })
    for (const [bad, field] of [
      [entry({}, { username: 'ana\u001b[2J' }), 'Username'],
      [entry({}, { clientId: 'desk\u009b' }), 'Client ID'],
      [entry({ name: 'cr\u200bm' }), 'Name'],
    ] as const) {
      writeFileSync(file, JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources: [bad] }))
      const result = await cli(['import', file])
      expect(result.code, result.stderr).toBe(EXIT_CODES.usage)
      expect(result.stderr).toMatch(new RegExp(`${field}.*(control|bidi|zero-width)`))
      expect(result.stderr).not.toMatch(TERMINAL_CONTROL)
    }
    expect((await cli(['status', 'imported'])).code).toBe(EXIT_CODES.unknownDatasource)
  })
})

describe('secrets echoed by a server never reach the terminal (item 3)', () => {
  const clientSecret = 'cli sec+ret/=&%~x'
  const password = 'cli pa55+w/=&%~y'
  const forms = [...wireForms(clientSecret), ...wireForms(password), ...basicForms(CONFIDENTIAL_CLIENT.id, clientSecret)]

  it.each(ECHO_ROUTES.filter((route) => route !== '/echo/scope'))('%s: stderr holds no encoded form of a secret', async (route) => {
    const result = await add(`echo-${route.split('/').pop()!}`, hostile.url(route), clientSecret, password)
    expect(result.code).not.toBe(0)
    const printed = result.stdout + result.stderr
    expect(forms.filter((form) => printed.includes(form))).toEqual([])
  })
})

describe('stored data an older version could write (item 6)', () => {
  it('an Infinity expiry does not break list --json or status --json', async () => {
    expect((await add('forever', server.tokenUrl)).code).toBe(0)
    const db = database()
    db.prepare('UPDATE tokens SET expires_at = ? WHERE datasource_id = ?').run(Number.POSITIVE_INFINITY, idOf('forever'))
    db.close()
    for (const args of [['list', '--json'], ['status', 'forever', '--json'], ['status', '--json'], ['status', 'forever'], ['list']]) {
      const result = await cli(args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
      if (args.includes('--json')) expect(() => JSON.parse(result.stdout)).not.toThrow()
    }
  })

  it('a huge expires_in from the server is stored capped at ten years', async () => {
    const result = await add('huge-expiry', hostile.url('/expires/huge-308'))
    expect(result.code, result.stderr).toBe(0)
    const status = JSON.parse((await cli(['status', 'huge-expiry', '--json'])).stdout) as { status: { token: { expiresAt: string } } }
    const years = (Date.parse(status.status.token.expiresAt) - Date.now()) / (365 * 24 * 3600 * 1000)
    expect(years).toBeGreaterThan(9.9)
    expect(years).toBeLessThan(10.1)
  })
})

describe('a NUL in a secret (item 9)', () => {
  it.each([
    ['password', CONFIDENTIAL_CLIENT.secret, 'pass\u0000word'],
    ['client secret', 'sec\u0000ret', TEST_USER.password],
  ])('a %s with NUL is refused with a clear message; nothing is sent or stored', async (_which, clientSecret, password) => {
    const before = server.counts.passwordGrants
    const result = await add(`nul-${randomUUID().slice(0, 8)}`, server.tokenUrl, clientSecret, password)
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stderr).toContain('May not contain NUL')
    expect(server.counts.passwordGrants).toBe(before)
    expect((await cli(['list'])).stdout).not.toContain('nul-')
  })
})

describe('smaller items (item 11)', () => {
  it('a null import entry is a usage error (exit 2), and nothing is imported', async () => {
    const file = join(dataDir.dir, 'null-entry.json')
    const good = { name: 'fine', url: '', auth: { type: 'none' } }
    writeFileSync(file, JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources: [good, null] }))
    const result = await cli(['import', file])
    expect(result.code, result.stderr).toBe(EXIT_CODES.usage)
    expect(result.stderr).toContain('Datasource 2 in the file is not an object')
    expect((await cli(['status', 'fine'])).code).toBe(EXIT_CODES.unknownDatasource)
  })

  it('import is all or nothing: an entry that fails after good ones imports none of them, and names the entry and field', async () => {
    expect((await add('staying', server.tokenUrl)).code).toBe(0)
    const exported = JSON.parse((await cli(['export', 'staying'])).stdout) as { datasources: Array<{ auth: { tokenUrl: string } }> }
    const moved = { ...exported.datasources[0]!, auth: { ...exported.datasources[0]!.auth, tokenUrl: hostile.url('/ok') } }
    const file = join(dataDir.dir, 'half-good.json')
    writeFileSync(file, JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources: [{ name: 'first-of-two', url: '', auth: { type: 'none' } }, moved] }))
    const refused = await cli(['import', '--replace', file])
    expect(refused.code, refused.stderr).toBe(EXIT_CODES.usage)
    expect(refused.stderr).toContain('Datasource 2 ("staying"): Nothing was sent')
    expect((await cli(['status', 'first-of-two'])).code).toBe(EXIT_CODES.unknownDatasource)
    expect(hostile.hits('/ok')).toBe(0)

    const broken = { name: 'broken', url: '', auth: { type: 'oauth2-password', tokenUrl: 'ftp://x', clientId: 'c', clientAuth: 'basic', username: 'u' } }
    writeFileSync(file, JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources: [{ name: 'first-of-two', url: '', auth: { type: 'none' } }, broken] }))
    const invalid = await cli(['import', file])
    expect(invalid.code, invalid.stderr).toBe(EXIT_CODES.usage)
    expect(invalid.stderr).toContain('Datasource 2 ("broken"), field auth.tokenUrl:')
    expect((await cli(['status', 'first-of-two'])).code).toBe(EXIT_CODES.unknownDatasource)
  })

  it('a database write failing at renewal (a full disk) does not promise a retry: the command does not retry', async () => {
    expect((await add('disk-full', server.tokenUrl)).code).toBe(0)
    // A real SQLite error on the token write, raised by a trigger (the same path as SQLITE_FULL).
    const db = database()
    db.exec(`CREATE TRIGGER full_insert BEFORE INSERT ON tokens BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
             CREATE TRIGGER full_update BEFORE UPDATE ON tokens BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`)
    db.close()
    try {
      const result = await cli(['renew', 'disk-full'])
      expect(result.code, result.stderr).toBe(EXIT_CODES.failure)
      expect(result.stderr).toContain('The new token could not be stored in the database.')
      expect(result.stderr).toContain('Check that the disk is not full and the data folder is writable, then run the command again.')
      expect(result.stderr).not.toMatch(/retr(y|ied|ies)/i)
      expect(result.stdout).toBe('')
    } finally {
      const cleanup = database()
      cleanup.exec('DROP TRIGGER full_insert; DROP TRIGGER full_update;')
      cleanup.close()
    }
    expect((await cli(['renew', 'disk-full'])).code).toBe(0)
  })

  it('a data folder that is a file gets a clear message, not "Something went wrong"', async () => {
    const file = join(dataDir.dir, 'not-a-folder')
    writeFileSync(file, 'x')
    const result = await runCli(['list'], { env: { DATASOURCE_DESK_DATA_DIR: file, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })
    expect(result.code).toBe(EXIT_CODES.failure)
    expect(result.stderr).toContain('is not a folder')
    expect(result.stderr).not.toContain('Something went wrong')
  })
})

describe('credentials follow their server (item 5)', () => {
  it('edit and import --replace do not send the stored secrets to a new origin until confirmed', async () => {
    expect((await add('moving', server.tokenUrl)).code).toBe(0)
    const elsewhere = hostile.url('/ok')
    const refused = await cli(['edit', 'moving', '--token-url', elsewhere])
    expect(refused.code, refused.stderr).toBe(EXIT_CODES.usage)
    expect(refused.stderr).toContain(`the token URL now points to ${new URL(elsewhere).host}`)
    expect(refused.stderr).toContain('--keep-secrets-for-new-origin')
    expect(hostile.hits('/ok')).toBe(0)

    const exported = await cli(['export', 'moving'])
    const file = join(dataDir.dir, 'moving.json')
    writeFileSync(file, exported.stdout.replace(server.tokenUrl, elsewhere))
    const imported = await cli(['import', '--replace', file])
    expect(imported.code, imported.stderr).toBe(EXIT_CODES.usage)
    expect(imported.stderr).toContain('now points to')
    expect(hostile.hits('/ok')).toBe(0)

    const confirmed = await cli(['edit', 'moving', '--token-url', elsewhere, '--keep-secrets-for-new-origin'])
    expect(confirmed.code, confirmed.stderr).toBe(0)
    expect(hostile.hits('/ok')).toBe(1)
  })
})
