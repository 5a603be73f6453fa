/**
 * The command line over HTTPS: it sends its requests with Node's http client
 * (electron/core/node-http-request.ts), which must trust what Node's fetch trusts. A token
 * endpoint on 127.0.0.1 with a certificate made just now: refused as it is, and accepted once the
 * certificate is added with NODE_EXTRA_CA_CERTS, as a user behind a company CA would do.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { EXIT_CODES } from '../../../electron/cli/exit-codes'
import { DATABASE_FILE } from '../../../electron/core/core'
import { ensureCliBuilt, runCli } from '../../support/cli-runner'
import { startSelfSignedServer, type TlsServer } from '../../support/hostile-server'
import { requireKeyringSession } from '../../support/keyring-session'
import { makeTempDir } from '../../support/temp-dir'

const dataDir = makeTempDir('dsd-cli-https-')
const caDir = makeTempDir('dsd-cli-https-ca-')
const env = { DATASOURCE_DESK_DATA_DIR: dataDir.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: `datasource-desk-test-https-${randomUUID()}` }
let server: TlsServer
let caFile: string

beforeAll(async () => {
  requireKeyringSession()
  await ensureCliBuilt()
  server = await startSelfSignedServer()
  caFile = join(caDir.dir, 'ca.pem')
  writeFileSync(caFile, server.certificate)
}, 120_000)
afterAll(async () => {
  await runCli(['remove', 'tls', '--yes'], { env: { ...env, NODE_EXTRA_CA_CERTS: caFile } })
  await server.close()
  dataDir.cleanup()
  caDir.cleanup()
})

const addArgs = (): string[] => ['add', 'tls', '--token-url', server.url, '--client-id', 'desk', '--client-auth', 'none', '--username', 'ana', '--password-stdin']

it('refuses a certificate nobody trusts, saves nothing, and says it is the certificate', async () => {
  const refused = await runCli(addArgs(), { env, input: 'pw\n' })
  expect(refused.code).toBe(EXIT_CODES.network)
  expect(refused.stderr).toMatch(/certificate/i)
  expect(server.hits()).toBe(0)
  expect((await runCli(['token', 'tls'], { env })).code).toBe(EXIT_CODES.unknownDatasource)
})

it('gets and renews a token once the certificate is trusted with NODE_EXTRA_CA_CERTS', async () => {
  const trusted = { ...env, NODE_EXTRA_CA_CERTS: caFile }
  const added = await runCli(addArgs(), { env: trusted, input: 'pw\n' })
  expect(added.stderr).toBe('')
  expect(added.code).toBe(EXIT_CODES.success)
  expect(server.hits()).toBe(1)
  // Due: the `token` due path renews over HTTPS too.
  const db = new Database(join(dataDir.dir, DATABASE_FILE))
  db.prepare('UPDATE tokens SET obtained_at = ?, expires_at = ?').run(Date.now() - 3_590_000, Date.now() + 10_000)
  db.close()
  const token = await runCli(['token', 'tls'], { env: trusted })
  expect(token.stderr).toBe('')
  expect(token.code).toBe(EXIT_CODES.success)
  expect(token.stdout.trim()).not.toBe('')
  expect(server.hits()).toBe(2)
})
