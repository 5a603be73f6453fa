/**
 * The built `datasource-desk` command against the real OAuth server and the real keyring (run
 * inside tests/support/with-keyring.sh): add with secrets on stdin, test, token (cached and
 * expired), header, renew, status, edit, export/import and remove. Every output is kept, and the
 * last test checks that no secret ever appeared in one, except the token that `token` and
 * `header` exist to print.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import { storedSecret } from '../../support/stored-secrets'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { CONFIDENTIAL_CLIENT, PUBLIC_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'
import { requireKeyringSession } from '../../support/keyring-session'
import { clockPattern } from '../../support/clock-pattern'

const keychainService = `datasource-desk-test-cli-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-')
const importDir = makeTempDir('dsd-cli-import-')
let server: OAuthTestServer

/** What `list --json` and `status --json` print per datasource (the parts these tests read). */
interface JsonDatasource {
  id: string
  name: string
  url: string
  auth: { type: string; scope?: string; hasClientSecret?: boolean; hasPassword?: boolean }
  status: { kind: string; state: string; text: string; usability: { kind: string }; renewal: { kind: string }; token: { tokenType: string; grantedScope: string | null; hasRefreshToken: boolean } | null }
}

interface ExportedEntry {
  name: string
  url: string
  auth: { type: string } & Record<string, unknown>
}

/** Every secret seen in the keychain, and every output that must not contain one. */
const knownSecrets = new Set<string>([CONFIDENTIAL_CLIENT.secret, TEST_USER.password])
const checkedOutputs: Array<{ args: string; text: string }> = []

async function rememberKeychainSecrets(): Promise<void> {
  for (const account of await secrets.accounts()) {
    const value = (await secrets.get(account))?.reveal()
    if (value) knownSecrets.add(value)
  }
}

async function cli(args: ReadonlyArray<string>, options: { input?: string; dir?: string } = {}): Promise<CliResult> {
  const result = await runCli(args, {
    input: options.input,
    env: { DATASOURCE_DESK_DATA_DIR: options.dir ?? dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService },
  })
  await rememberKeychainSecrets()
  const printsToken = args[0] === 'token' || args[0] === 'header'
  checkedOutputs.push({ args: args.join(' '), text: `${printsToken ? '' : result.stdout}\n${result.stderr}` })
  return result
}

async function storedAccessToken(name: string): Promise<string | undefined> {
  const list = JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ id: string; name: string }>
  const id = list.find((entry) => entry.name === name)?.id
  return id ? ((await storedSecret(dataDir.dir, secrets, id, 'access-token')) ?? undefined) : undefined
}

async function apiStatus(token: string): Promise<number> {
  return (await fetch(server.apiUrl, { headers: { authorization: `Bearer ${token}` } })).status
}

function addArgs(name: string): string[] {
  return [
    'add', name,
    '--url', server.apiUrl,
    '--token-url', server.tokenUrl,
    '--client-id', CONFIDENTIAL_CLIENT.id,
    '--username', TEST_USER.username,
    '--scope', 'read',
    '--client-secret-stdin', '--password-stdin',
  ]
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer({ rotateRefreshTokens: true })
}, 120_000)

afterAll(async () => {
  await server?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
  importDir.cleanup()
})

describe('datasource-desk against a real OAuth server and keyring', () => {
  it('adds a datasource with both secrets on stdin (two lines), testing it and keeping its token', async () => {
    server.resetCounts()
    const result = await cli(addArgs('crm'), { input: `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n` })
    expect(result.stderr).toContain('API check: GET')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^Added "crm": Valid until ${clockPattern} - renews from ${clockPattern} on the next \`datasource-desk token\` or when the app runs\n$`))
    // Test connection's token is the one saved: one request in all.
    expect(server.counts.tokenRequests).toBe(1)
    expect(server.counts.passwordGrants).toBe(1)
    const accounts = (await secrets.accounts()).map((account) => parseSecretAccount(account)?.kind).sort()
    expect(accounts).toEqual(['access-token', 'client-secret', 'password', 'refresh-token'])
  })

  it('lists it as a table and as JSON, with secrets shown only as "stored"', async () => {
    const table = await cli(['list'])
    expect(table.code).toBe(0)
    // Not a terminal: nothing shortened, the expiry as ISO 8601 for scripts.
    expect(table.stdout).toMatch(/^NAME\s+AUTHENTICATION\s+TOKEN URL\s+TOKEN\s+EXPIRES\s+RENEWAL\n/)
    expect(table.stdout).toMatch(/\ncrm\s+OAuth2 - Password\s+http:\/\/127\.0\.0\.1:\d+\/token\s+Valid\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+scheduled\n/)
    const json = JSON.parse((await cli(['list', '--json'])).stdout) as JsonDatasource[]
    expect(json).toHaveLength(1)
    expect(json[0]).toMatchObject({ name: 'crm', auth: { type: 'oauth2-password', hasClientSecret: true, hasPassword: true }, status: { kind: 'valid', state: 'idle', usability: { kind: 'valid' }, renewal: { kind: 'scheduled' } } })
    expect(json[0]?.status.token).toMatchObject({ tokenType: 'Bearer', grantedScope: 'read', hasRefreshToken: true })
  })

  it('shows the status of all datasources and the details of one', async () => {
    const all = await cli(['status'])
    expect(all.code).toBe(0)
    expect(all.stdout).toMatch(new RegExp(`crm\\s+Valid until ${clockPattern} - renews from ${clockPattern} on the next \`datasource-desk token\` or when the app runs\n`))
    const one = await cli(['status', 'CRM'])
    expect(one.code).toBe(0)
    expect(one.stdout).toMatch(/Refresh token: +Held: renewal uses it first/)
    expect(one.stdout).toMatch(/Renewal: +Renews from /)
    expect(one.stdout).toMatch(/Client secret: +stored/)
    const json = JSON.parse((await cli(['status', 'crm', '--json'])).stdout) as JsonDatasource
    expect(json.status.text).toMatch(/^Valid until /)
  })

  it('token prints only the cached access token, without a request to the server', async () => {
    server.resetCounts()
    const result = await cli(['token', 'crm'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const stored = await storedAccessToken('crm')
    expect(result.stdout).toBe(`${stored}\n`)
    expect(server.counts.allRequests).toBe(0)
    expect(await apiStatus(result.stdout.trim())).toBe(200)
  })

  it('header prints the Authorization header with the same token, again without a request', async () => {
    server.resetCounts()
    const result = await cli(['header', 'crm'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`Authorization: Bearer ${await storedAccessToken('crm')}\n`)
    expect(server.counts.allRequests).toBe(0)
  })

  it('test does what Test connection does: renews and calls the API with the token', async () => {
    server.resetCounts()
    const result = await cli(['test', 'crm'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Valid access token\n {2}Expiry: +expires /)
    expect(result.stdout).toContain('Granted scope:  read')
    expect(result.stdout).toMatch(/API check: +GET http:\/\/127\.0\.0\.1:\d+\/api → 200/)
    expect(server.counts.refreshGrants).toBe(1)
  })

  it('token renews an expired token first, with exactly one request, then serves it from the cache', async () => {
    server.setTokenLifetime(1)
    expect((await cli(['renew', 'crm'])).code).toBe(0)
    const shortLived = await storedAccessToken('crm')
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    server.setTokenLifetime(3600)
    server.resetCounts()

    const result = await cli(['token', 'crm'])
    expect(result.code).toBe(0)
    expect(server.counts.tokenRequests).toBe(1)
    expect(server.counts.refreshGrants).toBe(1)
    const token = result.stdout.trim()
    expect(result.stdout).toBe(`${token}\n`)
    expect(token).not.toBe(shortLived)
    expect(token).toBe(await storedAccessToken('crm'))
    expect(await apiStatus(token)).toBe(200)

    server.resetCounts()
    expect((await cli(['token', 'crm'])).stdout).toBe(`${token}\n`)
    expect(server.counts.allRequests).toBe(0)
  })

  it('renew falls back to the stored password when the refresh token is rejected', async () => {
    server.revokeRefreshTokens()
    server.resetCounts()
    const result = await cli(['renew', 'crm'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Renewed "crm": Valid until /)
    expect(server.counts.refreshGrants).toBe(1)
    expect(server.counts.passwordGrants).toBe(1)
  })

  it('edit changes the scope: tests with the stored secrets and keeps the new token', async () => {
    server.resetCounts()
    const result = await cli(['edit', 'crm', '--scope', 'read write'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Saved "crm": Valid until /)
    expect(server.counts.passwordGrants).toBe(1)
    const json = JSON.parse((await cli(['status', 'crm', '--json'])).stdout) as JsonDatasource
    expect(json.auth.scope).toBe('read write')
    expect(json.status.token?.grantedScope).toBe('read write')
  })

  it('adds a public client with only the password on stdin', async () => {
    const result = await cli(
      ['add', 'public', '--token-url', server.tokenUrl, '--client-id', PUBLIC_CLIENT.id, '--client-auth', 'none', '--username', TEST_USER.username, '--password-stdin'],
      { input: TEST_USER.password },
    )
    expect(result.code).toBe(0)
    expect((await cli(['token', 'public'])).code).toBe(0)
  })

  it('exports configurations without secrets and imports them into another data folder', async () => {
    const exported = await cli(['export'])
    expect(exported.code).toBe(0)
    const file = JSON.parse(exported.stdout) as { format: string; datasources: ExportedEntry[] }
    expect(file.format).toBe('datasource-desk/datasources')
    expect(file.datasources.map((entry) => entry.name)).toEqual(['crm', 'public'])
    expect(file.datasources[0]).toEqual({
      name: 'crm',
      url: server.apiUrl,
      auth: {
        type: 'oauth2-password',
        tokenUrl: server.tokenUrl,
        clientId: CONFIDENTIAL_CLIENT.id,
        clientAuth: 'basic',
        username: TEST_USER.username,
        rememberPassword: true,
        scope: 'read write',
        extraParams: [],
      },
    })

    const imported = await cli(['import'], { input: exported.stdout, dir: importDir.dir })
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/^Imported 2 datasources\./)
    const list = JSON.parse((await cli(['list', '--json'], { dir: importDir.dir })).stdout) as JsonDatasource[]
    expect(list.map((entry) => ({ name: entry.name, url: entry.url, auth: entry.auth }))).toEqual(
      file.datasources.map((entry) => ({ ...entry, auth: { ...entry.auth, ...(entry.auth.type === 'none' ? {} : { hasClientSecret: false, hasPassword: false }) } })),
    )
    const again = await cli(['export'], { dir: importDir.dir })
    expect(JSON.parse(again.stdout)).toEqual(file)

    // Importing the same names again is refused as a whole, unless --replace is given.
    const clash = await cli(['import'], { input: exported.stdout, dir: importDir.dir })
    expect(clash.code).toBe(2)
    expect(clash.stderr).toContain('A datasource named "crm" already exists.')
    expect((await cli(['import', '--replace'], { input: exported.stdout, dir: importDir.dir })).code).toBe(0)

    // Without secrets there is no token to get: sign-in is needed, an authentication error.
    const token = await cli(['token', 'crm'], { dir: importDir.dir })
    expect(token.code).toBe(3)
    expect(token.stdout).toBe('')
    expect(token.stderr).toContain('No password is stored for automatic renewal.')
  })

  it('remove deletes the datasource and its keychain entries', async () => {
    const refused = await cli(['remove', 'public'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--yes')
    const result = await cli(['remove', 'public', '--yes'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('Removed "public".\n')
    const names = (JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ name: string }>).map((entry) => entry.name)
    expect(names).toEqual(['crm'])
    expect((await cli(['token', 'public'])).code).toBe(7)
  })

  it('never printed a secret, except the token that token and header print on stdout', () => {
    expect(checkedOutputs.length).toBeGreaterThan(20)
    expect(knownSecrets.size).toBeGreaterThan(6)
    for (const { args, text } of checkedOutputs) {
      for (const secret of knownSecrets) {
        expect(text.includes(secret), `output of "${args}" contains a secret`).toBe(false)
      }
    }
  })
})
