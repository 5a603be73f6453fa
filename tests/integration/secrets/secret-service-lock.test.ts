/**
 * Reading the Secret Service's lock state over D-Bus without writing (secret-service-lock.ts):
 * against the real bus and gnome-keyring of a keyring session of its own (it locks the
 * collection), and against hostile sockets that are no bus or never answer.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultCollectionLocked } from '../../../electron/core/secrets/secret-service-lock'
import { KeychainError } from '../../../electron/core/secrets/secret-store'
import { buildChildScript, type BuiltChild } from '../../support/child-build'

const repoRoot = resolve(__dirname, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'ddesk-lock-'))
const sockets: Socket[] = []
const servers: Server[] = []
let child: BuiltChild

function listen(name: string, onConnection: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => {
    sockets.push(socket)
    onConnection(socket)
  })
  servers.push(server)
  const path = join(dir, name)
  return new Promise((done) => server.listen(path, () => done(`unix:path=${path}`)))
}

async function keychainError(promise: Promise<unknown>): Promise<KeychainError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(KeychainError)
  return error as KeychainError
}

describe('the Secret Service lock state, read without writing', () => {
  beforeAll(async () => {
    child = await buildChildScript('lock-state-child')
  }, 60_000)

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))))
    child?.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it('says unlocked, then locked once the collection is locked, and writes no item (own keyring session)', async () => {
    const script = `
      set -u
      node "$CHILD"
      gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \\
        --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
      node "$CHILD"
      gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets/collection/login \\
        --method org.freedesktop.DBus.Properties.GetAll org.freedesktop.Secret.Collection
    `
    const env: NodeJS.ProcessEnv = { ...process.env, CHILD: child.file, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    delete env.DATASOURCE_DESK_KEYRING_READY
    delete env.DBUS_SESSION_BUS_ADDRESS
    const result = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
      const shell = spawn('bash', [join(repoRoot, 'tests/support/with-keyring.sh'), 'bash', '-c', script], { cwd: repoRoot, env })
      let stdout = ''
      let stderr = ''
      shell.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      shell.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      shell.once('error', fail)
      shell.once('close', () => done({ stdout, stderr }))
    })
    expect(result.stdout, result.stderr).toContain('{"locked":false}\n{"locked":true}\n')
    // Neither answer created an item: the fresh collection still holds none. (GetAll here too: a
    // Get from a short-lived client can abort gnome-keyring, see secret-service-lock.ts.)
    expect(result.stdout, result.stderr).toContain("'Items': <@ao []>")
  }, 120_000)

  it('without a bus address there is nothing to ask: null', async () => {
    expect(await defaultCollectionLocked(undefined, 500)).toBeNull()
  })

  it('a socket that accepts and never answers: "timeout" within the deadline', async () => {
    const address = await listen('silent.sock', () => {})
    const started = Date.now()
    expect((await keychainError(defaultCollectionLocked(address, 300))).code).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('a bus that authenticates and then never answers the call: "timeout"', async () => {
    const address = await listen('mute.sock', (socket) => socket.once('data', () => socket.write('OK 0123456789abcdef0123456789abcdef\r\n')))
    expect((await keychainError(defaultCollectionLocked(address, 300))).code).toBe('timeout')
  })

  it('asks with Properties.GetAll, never Get: a failing Get getter aborts the whole gnome-keyring daemon', async () => {
    let sent = Buffer.alloc(0)
    const address = await listen('recording.sock', (socket) => {
      socket.once('data', () => socket.write('OK 0123456789abcdef0123456789abcdef\r\n'))
      socket.on('data', (chunk: Buffer) => {
        sent = Buffer.concat([sent, chunk])
      })
    })
    expect((await keychainError(defaultCollectionLocked(address, 300))).code).toBe('timeout')
    // A member name on the wire: its length (little-endian u32), the name, a NUL.
    const member = (name: string) => Buffer.concat([Buffer.from([name.length, 0, 0, 0]), Buffer.from(name), Buffer.from([0])])
    expect(sent.includes(member('GetAll'))).toBe(true)
    expect(sent.includes(member('Get'))).toBe(false)
    expect(sent.includes(Buffer.from('Locked'))).toBe(false)
  })

  it('a real bus with no Secret Service: "unavailable", with the error name read from the reply', async () => {
    const socketPath = join(dir, 'bare-bus.sock')
    const config = join(dir, 'bare-bus.conf')
    writeFileSync(
      config,
      `<busconfig><type>session</type><listen>unix:path=${socketPath}</listen><auth>EXTERNAL</auth>
       <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
    )
    const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      await new Promise<void>((ready, fail) => {
        bus.once('error', fail)
        bus.stdout.once('data', () => ready())
      })
      const error = await keychainError(defaultCollectionLocked(`unix:path=${socketPath}`, 3_000))
      expect(error.code).toBe('unavailable')
      expect(error.message).toContain('org.freedesktop.DBus.Error.ServiceUnknown')
    } finally {
      bus.kill()
    }
  })

  it('a socket that refuses authentication or hangs up: "unavailable"', async () => {
    const refusing = await listen('refusing.sock', (socket) => socket.once('data', () => socket.write('REJECTED EXTERNAL\r\n')))
    expect((await keychainError(defaultCollectionLocked(refusing, 1_000))).code).toBe('unavailable')
    const closing = await listen('closing.sock', (socket) => socket.end())
    expect((await keychainError(defaultCollectionLocked(closing, 1_000))).code).toBe('unavailable')
    expect((await keychainError(defaultCollectionLocked(`unix:path=${join(dir, 'nothing-here.sock')}`, 1_000))).code).toBe('unavailable')
  })
})
