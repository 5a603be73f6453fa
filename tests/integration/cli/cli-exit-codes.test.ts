/**
 * Every exit code of the built command, each from a real cause: the real OAuth server, servers
 * that misbehave, a closed port, a D-Bus session that does not exist, a damaged database. Errors
 * go to stderr in the app's words; stdout stays empty, and no secret is ever printed.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES, EXIT_CODE_DESCRIPTIONS } from '../../../electron/cli/exit-codes'
import { DATABASE_FILE } from '../../../electron/core/core'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { closedPort, startHostileServer, type HostileServer } from '../../support/hostile-server'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'
import { requireKeyringSession } from '../../support/keyring-session'

const keychainService = `datasource-desk-test-cli-codes-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-codes-')
let server: OAuthTestServer
let hostile: HostileServer

const SECRETS_ON_STDIN = `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`

function cli(args: ReadonlyArray<string>, options: { input?: string; env?: NodeJS.ProcessEnv; dir?: string } = {}): Promise<CliResult> {
  return runCli(args, {
    input: options.input,
    env: { DATASOURCE_DESK_DATA_DIR: options.dir ?? dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, ...options.env },
  })
}

function add(name: string, tokenUrl: string, options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return cli(
    ['add', name, '--token-url', tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'],
    { input: options.input ?? SECRETS_ON_STDIN, ...(options.env ? { env: options.env } : {}) },
  )
}

/** A failed command: the code, nothing on stdout, and no secret anywhere in what it printed. */
function expectFailure(result: CliResult, code: number): void {
  expect(result.code, `exit code of "${result.args.join(' ')}"; stderr: ${result.stderr}`).toBe(code)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(/^datasource-desk: /)
  for (const secret of [CONFIDENTIAL_CLIENT.secret, TEST_USER.password, 'hunter2-on-argv']) expect(result.stderr).not.toContain(secret)
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

describe('datasource-desk exit codes', () => {
  it('0: --help documents every exit code', async () => {
    const result = await cli(['--help'])
    expect(result.code).toBe(EXIT_CODES.success)
    expect(result.stdout).toContain('curl -H "Authorization: Bearer $(datasource-desk token crm)"')
    for (const [name, code] of Object.entries(EXIT_CODES)) {
      expect(result.stdout).toContain(`${String(code).padStart(2)}  ${EXIT_CODE_DESCRIPTIONS[name as keyof typeof EXIT_CODES]}`)
    }
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length)
    const commandHelp = await cli(['add', '--help'])
    expect(commandHelp.code).toBe(0)
    expect(commandHelp.stdout).toContain('--password-stdin')
    // The exit-code table is in one place (--help), not repeated in every command's help.
    expect(commandHelp.stdout).not.toContain(EXIT_CODE_DESCRIPTIONS.keychain)
    expect(commandHelp.stdout).toContain('exit codes: datasource-desk --help')
  })

  it('2: usage errors: unknown command, missing name, unknown option', async () => {
    expectFailure(await cli(['frobnicate']), EXIT_CODES.usage)
    expectFailure(await cli(['token']), EXIT_CODES.usage)
    expectFailure(await cli(['list', '--colour']), EXIT_CODES.usage)
    expectFailure(await cli(['token', 'crm', 'extra']), EXIT_CODES.usage)
  })

  it('2: a secret on the command line is refused without being repeated', async () => {
    for (const args of [
      ['add', 'x', '--password', 'hunter2-on-argv'],
      ['add', 'x', '--password=hunter2-on-argv'],
      ['add', 'x', '--client-secret', 'hunter2-on-argv'],
      ['edit', 'x', 'hunter2-on-argv'],
    ]) {
      const result = await cli(args)
      expectFailure(result, EXIT_CODES.usage)
    }
    const result = await cli(['add', 'x', '--password', 'hunter2-on-argv'])
    expect(result.stderr).toContain('Secrets are never taken from command-line arguments')
    expect(result.stderr).toContain('--password-stdin')
  })

  it('2: input the app\'s form rejects, in the form\'s words, before any request', async () => {
    const result = await add('insecure', 'http://auth.example.com/token')
    expectFailure(result, EXIT_CODES.usage)
    expect(result.stderr).toContain('--token-url: Use https:// for the token URL')
    const missing = await cli(['add', 'nothing', '--client-secret-stdin'], { input: 'x\n' })
    expectFailure(missing, EXIT_CODES.usage)
    expect(missing.stderr).toContain('--token-url: Token URL is required')
    const stdinShort = await add('short', server.tokenUrl, { input: `${CONFIDENTIAL_CLIENT.secret}\n` })
    expectFailure(stdinShort, EXIT_CODES.usage)
    expect(stdinShort.stderr).toContain('stdin ended before the password')
  })

  it('3: an OAuth error from the server, with the app\'s hint; nothing is saved', async () => {
    const result = await add('wrong-password', server.tokenUrl, { input: `${CONFIDENTIAL_CLIENT.secret}\nnot-the-password\n` })
    expectFailure(result, EXIT_CODES.authentication)
    expect(result.stderr).toContain('The server refused the token request')
    expect(result.stderr).toContain('hint: Check the username and password.')
    expect(result.stderr).toContain('OAuth error: invalid_grant')
    expect(result.stderr).toContain('Nothing was saved')
    expect((await cli(['status', 'wrong-password'])).code).toBe(EXIT_CODES.unknownDatasource)
  })

  it('3: a server that echoes the password in its error description does not get it printed', async () => {
    const result = await add('echo', hostile.url('/echo-secret'))
    expectFailure(result, EXIT_CODES.authentication)
  })

  it('4: a network error when the token endpoint cannot be reached', async () => {
    const result = await add('unreachable', `http://127.0.0.1:${await closedPort()}/token`)
    expectFailure(result, EXIT_CODES.network)
    expect(result.stderr).toContain('Could not reach the token endpoint')
  })

  it('5: an invalid server response', async () => {
    const result = await add('no-token', hostile.url('/missing/access-token'))
    expectFailure(result, EXIT_CODES.invalidResponse)
    expect(result.stderr).toContain('The answer is not a usable token')
  })

  it('6: the keychain is unavailable (no D-Bus session), for add and for token', async () => {
    const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dataDir.dir, 'no-such-bus.sock')}` }
    const failedAdd = await add('no-keychain', server.tokenUrl, { env: noBus })
    expectFailure(failedAdd, EXIT_CODES.keychain)
    expect(failedAdd.stderr).toContain('The OS keychain could not be used')

    expect((await add('saved', server.tokenUrl)).code).toBe(0)
    const failedToken = await cli(['token', 'saved'], { env: noBus })
    expectFailure(failedToken, EXIT_CODES.keychain)
    expect(failedToken.stderr).toContain('hint: Make sure the OS keychain is running and unlocked')
  })

  it('7: an unknown datasource, for every command that names one', async () => {
    for (const command of ['token', 'header', 'renew', 'test', 'status', 'edit', 'remove', 'export']) {
      const result = await cli([command, 'no-such-datasource'])
      expectFailure(result, EXIT_CODES.unknownDatasource)
      expect(result.stderr).toContain('No datasource is named "no-such-datasource".')
    }
  })

  it('1: any other failure, such as a damaged database', async () => {
    const damaged = makeTempDir('dsd-cli-damaged-')
    try {
      writeFileSync(join(damaged.dir, DATABASE_FILE), 'this is not a SQLite database, just some text '.repeat(200))
      for (const command of [['list'], ['token', 'crm']]) {
        const result = await cli(command, { dir: damaged.dir })
        expectFailure(result, EXIT_CODES.failure)
        expect(result.stderr).toContain('is damaged')
      }
    } finally {
      damaged.cleanup()
    }
  })
})
