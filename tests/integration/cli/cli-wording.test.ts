/**
 * Messages that come from the core in the app's words ("Check the form", "Correct the marked
 * fields", "Enter the password" without a command) reach the terminal in CLI words: the option is
 * named and so is the command to run. The built command, the real keyring and a real OAuth server.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'
import { requireKeyringSession } from '../../support/keyring-session'

const keychainService = `datasource-desk-test-cli-wording-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-wording-')
let server: OAuthTestServer

const cli = (args: ReadonlyArray<string>, input?: string): Promise<CliResult> =>
  runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })

const APP_WORDS = /the form|marked fields|fields need|Sign in\b|Test connection/

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer()
}, 120_000)

afterAll(async () => {
  await server?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
})

describe('the CLI words core messages for a terminal', () => {
  it('an invalid option value: the option is named, and the hint says to run the command again', async () => {
    const result = await cli(['add', 'crm', '--token-url', 'not a url', '--client-id', 'desk', '--username', 'ana', '--client-secret-stdin', '--password-stdin', '--no-test'], 's\np\n')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--token-url: Enter a full URL')
    expect(result.stderr).toContain('hint: Correct the values named above and run the command again.')
    expect(result.stderr).not.toMatch(APP_WORDS)
  })

  it('add with an empty password names the options that pass one', async () => {
    const result = await cli(['add', 'empty password', '--token-url', server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'], `${CONFIDENTIAL_CLIENT.secret}\n\n`)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^datasource-desk: Some values need attention: Enter the password to test the connection\.\n {2}password: Password is required\n/)
    expect(result.stderr).toContain('hint: Pass the password with --password-stdin (in a script) or --password-prompt (on a terminal).')
    expect(result.stderr).not.toMatch(APP_WORDS)
  })
})
