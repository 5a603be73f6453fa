/**
 * The command speaks in terminal words: how to pass a secret a script forgot, and "did you mean"
 * for a mistyped datasource name, naming the command to run. Runs the built command.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { requireKeyringSession } from '../../support/keyring-session'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-cli-wording-${randomUUID()}`
const dataDir = makeTempDir('dsd-cli-wording-')

function cli(args: ReadonlyArray<string>, input?: string): Promise<CliResult> {
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
})

afterAll(async () => {
  const secrets = createKeytarSecretStore(keychainService)
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
})

describe('CLI wording', () => {
  it('add in a script without --password-stdin says how to pass the secrets, instead of "Password is required"', async () => {
    const result = await cli(['add', 'crm', '--token-url', 'https://auth.example.com/token', '--client-id', 'desk', '--username', 'ada'], '')
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stderr).toContain('--client-secret-stdin --password-stdin')
    expect(result.stderr).toContain('no terminal to ask on')
    expect(result.stderr).not.toContain('Password is required')
  })

  it('a mistyped datasource name gets "did you mean" and the command to list them', async () => {
    const saved = await cli(['add', 'billing-staging', '--auth', 'none', '--url', 'https://api.example.com', '--no-test'])
    expect(saved.code).toBe(EXIT_CODES.success)
    const result = await cli(['status', 'biling-staging'])
    expect(result.code).toBe(EXIT_CODES.unknownDatasource)
    expect(result.stderr).toContain('Did you mean "billing-staging"?')
    expect(result.stderr).toContain('datasource-desk list')
  })
})
