/**
 * Issue 11, items 2 and 8, with the built command: a D-Bus session that accepts connections and
 * never answers (a socket on 127.0.0.1's file system that reads nothing), a session bus that is
 * gone, and a real gnome-keyring whose collection is locked over D-Bus (its own session, so the
 * other tests' keyring stays unlocked). The command must end with exit 6 and say what happened.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import { buildChildScript } from '../../support/child-build'
import { cliEntry, ensureCliBuilt, repoRoot, runCli, type CliResult } from '../../support/cli-runner'
import { requireKeyringSession } from '../../support/keyring-session'
import { CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

const keychainService = `datasource-desk-test-cli-keychain-faults-${randomUUID()}`
const secrets = createKeytarSecretStore(keychainService)
const dataDir = makeTempDir('dsd-cli-keychain-faults-')
const socketDir = mkdtempSync(join(tmpdir(), 'dsd-silent-bus-'))
const SILENT_BUS = `unix:path=${join(socketDir, 'silent.sock')}`
let server: OAuthTestServer
let silentBus: Server
const silentClients: Socket[] = []

function cli(args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}, input = ''): Promise<CliResult> {
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, ...env } })
}

function add(name: string): Promise<CliResult> {
  return cli(
    ['add', name, '--token-url', server.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--client-secret-stdin', '--password-stdin'],
    {},
    `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`,
  )
}

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startOAuthServer()
  silentBus = createServer((socket) => silentClients.push(socket))
  await new Promise<void>((resolve) => silentBus.listen(join(socketDir, 'silent.sock'), resolve))
}, 120_000)

afterAll(async () => {
  for (const socket of silentClients) socket.destroy()
  await new Promise<void>((resolve) => silentBus?.close(() => resolve()))
  await server?.close()
  for (const account of await secrets.accounts().catch(() => [])) await secrets.delete(account).catch(() => false)
  dataDir.cleanup()
  rmSync(socketDir, { recursive: true, force: true })
})

describe('a session bus that accepts and never answers (item 2)', () => {
  it('token, renew and add end with exit 6, and the process really exits', async () => {
    expect((await add('crm')).code).toBe(0)
    for (const args of [['token', 'crm'], ['header', 'crm'], ['renew', 'crm'], ['list']]) {
      const result = await cli(args, { DBUS_SESSION_BUS_ADDRESS: SILENT_BUS })
      if (args[0] === 'list') {
        // Listing needs no keychain at all.
        expect(result.code, result.stderr).toBe(0)
        continue
      }
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(EXIT_CODES.keychain)
      expect(result.stderr).toContain('did not answer')
      expect(result.stdout).toBe('')
    }
    expect(silentClients.length).toBeGreaterThan(0)
  }, 120_000)

  it('remove says exactly what it could not delete, with exit 6, and never "Removed"', async () => {
    expect((await add('hung-remove')).code).toBe(0)
    const id = JSON.parse((await cli(['status', 'hung-remove', '--json'])).stdout).id as string
    const result = await cli(['remove', 'hung-remove', '--yes'], { DBUS_SESSION_BUS_ADDRESS: SILENT_BUS })
    expect(result.code, result.stderr).toBe(EXIT_CODES.keychain)
    expect(result.stdout).not.toContain('Removed "hung-remove".')
    expect(result.stderr).toContain('the OS keychain did not delete: ')
    for (const label of ['client secret', 'password', 'access token']) expect(result.stderr).toContain(label)
    // What it said is true: the secrets are still in the (real, answering) keychain.
    const left = (await secrets.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === id)
    expect(left.length).toBeGreaterThanOrEqual(3)
    expect(result.stderr).toContain('the next add, edit, remove or import on this data folder')

    // Item 7: they were recorded, so the next command that changes datasources here, with the
    // keychain answering again, deletes them (no keychain listing needed).
    const next = await cli(['add', 'after-hung-remove', '--auth', 'none', '--no-test'])
    expect(next.code, next.stderr).toBe(0)
    expect((await secrets.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === id)).toEqual([])
  }, 60_000)
})

describe('a bus that answers while its Secret Service hangs (gnome-keyring stopped with SIGSTOP, its own session)', () => {
  it('token and remove print the timeout with exit 6 and exit then, not after D-Bus\'s 25 s per stuck call', async () => {
    const hungDir = makeTempDir('dsd-cli-hung-service-')
    try {
      // Which gnome-keyring is this session's: the bus says who owns the Secret Service's name.
      const script = `
        set -u
        printf '%s\\n%s\\n' "$SECRET" "$PASSWORD" | $CLI add crm --token-url "$TOKEN_URL" --client-id "$CLIENT_ID" --username "$USERNAME" --client-secret-stdin --password-stdin --no-test >/dev/null 2>&1
        echo "add=$?"
        keyring=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \\
          --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.*uint32 \\([0-9]*\\).*/\\1/')
        kill -STOP "$keyring"
        for command in "token crm" "remove crm --yes"; do
          started=$(date +%s%N)
          $CLI $command 2>&1
          code=$?
          echo "$command=$code in $(( ($(date +%s%N) - started) / 1000000 )) ms"
        done
        kill -CONT "$keyring"
      `
      const result = await inOwnKeyring(script, {
        DATASOURCE_DESK_DATA_DIR: hungDir.dir,
        DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService,
        SECRET: CONFIDENTIAL_CLIENT.secret,
        PASSWORD: TEST_USER.password,
        TOKEN_URL: server.tokenUrl,
        CLIENT_ID: CONFIDENTIAL_CLIENT.id,
        USERNAME: TEST_USER.username,
      })
      expect(result.stdout, result.stderr).toContain('add=0')
      expect(result.stdout).toContain('The OS keychain did not answer within 5000 ms')
      for (const command of ['token crm', 'remove crm --yes']) {
        const [, code, elapsed] = new RegExp(`${command}=(\\d+) in (\\d+) ms`).exec(result.stdout) ?? []
        expect(Number(code), result.stdout).toBe(EXIT_CODES.keychain)
        // The keychain timeout (5 s) and a little, where the stuck lookup held the exit for 50 s.
        expect(Number(elapsed), result.stdout).toBeLessThan(20_000)
      }
      expect(result.stdout).not.toContain('Removed "crm".')
    } finally {
      hungDir.cleanup()
    }
  }, 180_000)
})

describe('no session bus at all: gnome-keyring and its bus stopped (item 2)', () => {
  it('fails fast with exit 6 and the reason', async () => {
    const result = await cli(['token', 'crm'], { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(socketDir, 'gone.sock')}` })
    expect(result.code, result.stderr).toBe(EXIT_CODES.keychain)
    expect(result.stderr).toContain('not available')
  })
})

/** Runs a shell script in its own D-Bus session with a fresh gnome-keyring (with-keyring.sh). */
function inOwnKeyring(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, CLI: `${process.execPath} ${cliEntry}` }
    delete childEnv.DATASOURCE_DESK_KEYRING_READY
    delete childEnv.DBUS_SESSION_BUS_ADDRESS
    const child = spawn('bash', [join(repoRoot, 'tests/support/with-keyring.sh'), 'bash', '-c', script], { cwd: repoRoot, env: childEnv })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('a locked keyring (item 8)', () => {
  it('reads as "keychain locked" with exit 6, not a missing secret, and stores no action-needed', async () => {
    const lockedDir = makeTempDir('dsd-cli-locked-')
    try {
      const script = `
        set -u
        printf '%s\\n%s\\n' "$SECRET" "$PASSWORD" | $CLI add crm --token-url "$TOKEN_URL" --client-id "$CLIENT_ID" --username "$USERNAME" --client-secret-stdin --password-stdin >/dev/null 2>&1
        echo "add=$?"
        gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \\
          --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
        $CLI renew crm 2>&1; echo "renew=$?"
        $CLI token crm 2>&1; echo "token=$?"
        $CLI status crm --json; echo "status=$?"
      `
      const result = await inOwnKeyring(script, {
        DATASOURCE_DESK_DATA_DIR: lockedDir.dir,
        DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService,
        SECRET: CONFIDENTIAL_CLIENT.secret,
        PASSWORD: TEST_USER.password,
        TOKEN_URL: server.tokenUrl,
        CLIENT_ID: CONFIDENTIAL_CLIENT.id,
        USERNAME: TEST_USER.username,
      })
      expect(result.stdout).toContain('add=0')
      expect(result.stdout).toContain(`renew=${EXIT_CODES.keychain}`)
      expect(result.stdout).toContain(`token=${EXIT_CODES.keychain}`)
      expect(result.stdout).toContain('The OS keychain is locked')
      expect(result.stdout).not.toContain('missing')
      const json = result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1)
      const status = JSON.parse(json) as { status: { state: string; lastError: { code: string } | null } }
      expect(status.status.state).not.toBe('action-needed')
      expect(status.status.lastError?.code ?? 'locked').toBe('locked')
    } finally {
      lockedDir.cleanup()
    }
  }, 120_000)

  it("listing a locked collection (the start-up sweep) says locked instead of crashing inside libsecret", async () => {
    const child = await buildChildScript('keychain-list-child')
    try {
      const script = `
        set -u
        DSD_ADD_ENTRY=orphan/client-secret node "$CHILD"; echo "unlocked=$?"
        gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \\
          --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
        node "$CHILD"; echo "locked=$?"
      `
      const result = await inOwnKeyring(script, { CHILD: child.file, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` })
      expect(result.stdout, result.stderr).toContain('{"accounts":1}\nunlocked=0')
      expect(result.stdout, result.stderr).toContain('{"error":"locked"}\nlocked=0')
    } finally {
      child.cleanup()
    }
  }, 120_000)
})
