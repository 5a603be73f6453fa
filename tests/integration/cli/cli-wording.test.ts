/**
 * Messages that come from the core in the app's words ("Check the form", "Correct the marked
 * fields", "Enter the password" without a command) reach the terminal in CLI words: the option is
 * named and so is the command to run. The built command, the real keyring and a real OAuth server.
 */
import { describe, expect, it } from 'vitest'
import { useCliSuite } from '../../support/cli-suite'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer } from '../../support/oauth-server'

const suite = useCliSuite('cli-wording', startOAuthServer)
const { cli } = suite
const APP_WORDS = /the form|marked fields|fields need|Sign in\b|Test connection/

describe('the CLI words core messages for a terminal', () => {
  it('an invalid option value: the option is named, and the hint says to run the command again', async () => {
    const result = await cli(['add', 'crm', '--token-url', 'not a url', '--client-id', 'desk', '--username', 'ana', '--client-secret-stdin', '--password-stdin', '--no-test'], 's\np\n')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--token-url: Enter a full URL')
    expect(result.stderr).toContain('hint: Correct the values named above and run the command again.')
    expect(result.stderr).not.toMatch(APP_WORDS)
  })

  it('add with an empty password names the options that pass one', async () => {
    const result = await cli(['add', 'empty password', '--token-url', suite.server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'], `${CONFIDENTIAL_CLIENT.secret}\n\n`)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^datasource-desk: Some values need attention: Enter the password to test the connection\.\n {2}password: Password is required\n/)
    expect(result.stderr).toContain('hint: Pass the password with --password-stdin (in a script) or --password-prompt (on a terminal).')
    expect(result.stderr).not.toMatch(APP_WORDS)
  })
})
