/**
 * `status` and `list` tell both dimensions from what SQLite holds (issue 12, item 7): whether the
 * token can be used, and how renewal is doing. The command runs no scheduler, so it never prints a
 * next-attempt time ("next attempt 19 s ago"), and says what will renew instead. The renewal
 * states are the ones the app stores; they are written here with the app's repository.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/core/db/connection'
import { DatasourceRepository, type RenewalStateRecord } from '../../../electron/core/db/datasource-repository'
import { DATABASE_FILE_NAME } from '../../../electron/core/locations'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { appError, signInNeeded } from '../../../shared/errors'
import type { TokenMeta } from '../../../shared/token'
import { ensureCliBuilt, runCli, type CliResult } from '../../support/cli-runner'
import { requireKeyringSession } from '../../support/keyring-session'
import { makeTempDir } from '../../support/temp-dir'
import { clockPattern } from '../../support/clock-pattern'

const keychainService = `datasource-desk-test-cli-status-${randomUUID()}`
const dataDir = makeTempDir('dsd-cli-status-')

function cli(args: ReadonlyArray<string>, input?: string): Promise<CliResult> {
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService } })
}

/** Writes what the app would have stored after a renewal attempt (and the lease it would hold). */
function store(name: string, token: TokenMeta | null, state: RenewalStateRecord | null, leaseHolder?: string): void {
  const db = openDatabase(join(dataDir.dir, DATABASE_FILE_NAME))
  try {
    const repo = new DatasourceRepository(db)
    const id = repo.idByName(name)!
    if (token) repo.saveToken(id, token)
    if (state) repo.saveRenewalState(id, state)
    if (leaseHolder) expect(repo.tryAcquireLease(id, leaseHolder, Date.now(), 10 * minute)).toBe(true)
  } finally {
    db.close()
  }
}

const minute = 60_000
const validToken = (): TokenMeta => ({
  tokenType: 'Bearer',
  grantedScope: 'read',
  requestedScope: 'read',
  obtainedAt: Date.now() - 10 * minute,
  expiresAt: Date.now() + 50 * minute,
  hasRefreshToken: true,
})

async function add(name: string): Promise<void> {
  const result = await cli(
    ['add', name, '--url', 'https://api.example.com', '--token-url', 'https://auth.example.com/token', '--client-id', 'desk', '--client-auth', 'none', '--username', 'ada', '--password-stdin', '--no-test'],
    'pw\n',
  )
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
}

interface JsonStatus {
  status: { kind: string; text: string; state: string; usability: { kind: string; text: string }; renewal: { kind: string; reason?: string; text: string }; nextAttemptAt: string | null }
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  await add('rejected')
  await add('retrying')
  await add('signin')
  await add('fresh')
  const now = Date.now()
  // The renewer tried the refresh token first and recorded the server's refusal with the token.
  store('rejected', { ...validToken(), refreshRejectedAt: now - minute }, {
    state: 'action-needed',
    attempt: 1,
    nextAttemptAt: null,
    lastError: appError('oauth', 'invalid_grant', 'The server did not accept the username or password (invalid_grant).'),
    updatedAt: now,
  })
  // Stored by an app that has since quit: its next attempt lies in the past and nobody will make it.
  store('retrying', validToken(), {
    state: 'retrying',
    attempt: 3,
    nextAttemptAt: now - 19_000,
    lastError: appError('network', 'refused', 'The token server refused the connection.', { transient: true }),
    updatedAt: now - 60_000,
  })
  store('signin', { ...validToken(), obtainedAt: now - 70 * minute, expiresAt: now - 10 * minute }, {
    state: 'sign-in-needed',
    attempt: 1,
    nextAttemptAt: null,
    lastError: signInNeeded(appError('oauth', 'invalid_grant', 'The refresh token is no longer accepted.')),
    updatedAt: now,
  })
  // A renewal state of 'renewing', once with each kind of lease (leftover-renewing.ts decides).
  await add('interrupted')
  await add('elsewhere')
  await add('killed')
  const renewing = (updatedAt: number): RenewalStateRecord => ({ state: 'renewing', attempt: 0, nextAttemptAt: null, lastError: null, updatedAt })
  // Stored a second ago by a process that stopped mid-request without a lease left: a leftover.
  store('interrupted', validToken(), renewing(now - 1_000))
  // Stored five minutes ago, but this test process (alive) holds the lease now: a renewal runs.
  store('elsewhere', validToken(), renewing(now - 5 * minute), `${process.pid}:renewing-for-minutes`)
  // The lease's holder was killed mid-request: a leftover, although the lease has not expired.
  store('killed', validToken(), renewing(now - 1_000), `${await exitedPid()}:killed`)
}, 120_000)

/** The pid of a process that has exited. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

afterAll(async () => {
  const secrets = createKeytarSecretStore(keychainService)
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
})

describe('CLI status in two dimensions', () => {
  it('a valid token whose password was rejected reads as valid, with renewal failing', async () => {
    const result = await cli(['status', 'rejected'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`Status: +Valid until ${clockPattern} \\(in (49|50) min\\)\n`))
    expect(result.stdout).toMatch(/Renewal: +Renewal failing: password rejected\n/)
    // The refresh token was tried first and refused: never "Held" or "Issued" after that.
    expect(result.stdout).toMatch(/Refresh token: +Not accepted by the server at the last renewal\n/)
    expect(result.stdout).not.toMatch(/Action needed/i)
  })

  it('a retry stored by a process that is gone is never "next attempt ... ago": it says what will retry', async () => {
    const all = await cli(['status'])
    expect(all.code).toBe(0)
    expect(all.stdout).toMatch(/\nretrying +Valid until .* - renewal failing: server unreachable; retried on the next `datasource-desk token` or when the app runs\n/)
    expect(all.stdout).not.toMatch(/ago/)
    expect(all.stdout).toMatch(/\nfresh +Not connected - no token yet\n/)
  })

  it('--json has usability and renewal next to the old kind, text and state', async () => {
    const [rejected, retrying, signin] = await Promise.all(['rejected', 'retrying', 'signin'].map(async (name) => JSON.parse((await cli(['status', name, '--json'])).stdout) as JsonStatus))
    expect(rejected!.status).toMatchObject({ kind: 'action-needed', state: 'action-needed', usability: { kind: 'valid' }, renewal: { kind: 'needs-user', reason: 'password-rejected', text: 'renewal failing: password rejected' } })
    expect(retrying!.status).toMatchObject({ kind: 'retrying', usability: { kind: 'valid' }, renewal: { kind: 'retrying' } })
    expect(retrying!.status.text).not.toMatch(/ago/)
    expect(signin!.status).toMatchObject({ usability: { kind: 'expired' }, renewal: { kind: 'needs-user', reason: 'sign-in' } })
  })

  it('a stored "renewing" is shown only while a live lease stands for it, however old or new it is', async () => {
    const [interrupted, elsewhere, killed] = await Promise.all(['interrupted', 'elsewhere', 'killed'].map(async (name) => JSON.parse((await cli(['status', name, '--json'])).stdout) as JsonStatus))
    expect(interrupted!.status).toMatchObject({ state: 'idle', usability: { kind: 'valid' }, renewal: { kind: 'scheduled' } })
    expect(elsewhere!.status).toMatchObject({ state: 'renewing', usability: { kind: 'valid' }, renewal: { kind: 'renewing' } })
    expect(killed!.status).toMatchObject({ state: 'idle', renewal: { kind: 'scheduled' } })
  })

  it('list shows the token and the renewal side by side', async () => {
    const result = await cli(['list'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^NAME\s+AUTHENTICATION\s+TOKEN URL\s+TOKEN\s+EXPIRES\s+RENEWAL\n/)
    expect(result.stdout).toMatch(/\nrejected\s+OAuth2 - Password\s+\S+\s+Valid\s+\S+\s+password rejected\n/)
    expect(result.stdout).toMatch(/\nsignin\s+OAuth2 - Password\s+\S+\s+Expired\s+\S+\s+sign-in needed\n/)
    expect(result.stdout).toMatch(/\nfresh\s+OAuth2 - Password\s+\S+\s+Not connected\s+-\s+-\n/)
  })
})
