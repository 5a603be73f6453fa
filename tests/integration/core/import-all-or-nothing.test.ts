/**
 * Import is all or nothing (issue 11, item 11): the whole file is checked before anything is
 * written, a bad entry is named with its field, and a keychain or SQLite failure half-way through
 * leaves neither rows nor keychain entries behind. Real SQLite file, real keyring (with-keyring.sh),
 * real OAuth server; the SQLite failure is a real one, raised by a trigger another connection adds.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { EXPORT_FORMAT, EXPORT_VERSION } from '../../../electron/core/datasource-import'
import { systemClock } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import type { SecretStore } from '../../../electron/core/secrets/secret-store'
import type { DatasourceInput } from '../../../shared/datasource'
import { passwordForm, unwrap } from '../../support/core-harness'
import { FaultySecretStore } from '../../support/faulty-secret-store'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

let server: OAuthTestServer
let temp: ReturnType<typeof makeTempDir>
let keyring: SecretStore
let faulty: FaultySecretStore
let core: Core

beforeAll(async () => {
  server = await startOAuthServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  temp = makeTempDir('dsd-import-')
  keyring = createKeytarSecretStore(`datasource-desk-test-import-${randomUUID()}`)
  faulty = new FaultySecretStore(keyring)
  core = await createCore({ dataDir: temp.dir, secretStore: faulty, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
})
afterEach(async () => {
  await core.close()
  for (const account of await keyring.accounts().catch(() => [])) await keyring.delete(account).catch(() => false)
  temp.cleanup()
})

const oauthEntry = (name: string, auth: Record<string, unknown> = {}) => ({
  name,
  url: server.apiUrl,
  auth: { type: 'oauth2-password', tokenUrl: server.tokenUrl, clientId: 'desk', clientAuth: 'basic', username: 'ana', rememberPassword: true, scope: 'read', extraParams: [], ...auth },
})
const fileOf = (...datasources: unknown[]) => JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources })

async function names(): Promise<string[]> {
  return unwrap(await core.handlers.listDatasources({})).map((view) => view.name)
}

function sql<T>(work: (db: Database.Database) => T): T {
  const db = new Database(join(temp.dir, DATABASE_FILE))
  try {
    return work(db)
  } finally {
    db.close()
  }
}

describe('import checks the whole file first', () => {
  it('imports every entry of a good file in file order', async () => {
    const result = unwrap(await core.handlers.importDatasources({ text: fileOf({ name: 'public', url: '', auth: { type: 'none' } }, oauthEntry('crm')) }))
    expect(result.imported.map((view) => view.name)).toEqual(['public', 'crm'])
    expect(await names()).toEqual(['crm', 'public'])
  })

  it.each([
    ['a token URL that is not a URL', { tokenUrl: 'not a url' }, 'auth.tokenUrl'],
    ['a missing client id', { clientId: '' }, 'auth.clientId'],
    ['an unknown client authentication', { clientAuth: 'kerberos' }, 'auth.clientAuth'],
  ])('%s in the third entry: nothing imported, the entry and field named', async (_what, badAuth, field) => {
    const result = await core.handlers.importDatasources({ text: fileOf({ name: 'public', url: '', auth: { type: 'none' } }, oauthEntry('crm'), oauthEntry('broken', badAuth)) })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.kind).toBe('validation')
    expect(result.error.message).toContain(`Datasource 3 ("broken"), field ${field}:`)
    expect(result.error.message).toContain('nothing was imported')
    expect(result.error.fieldIssues?.[0]?.path).toBe(`datasources.2.${field}`)
    expect(await names()).toEqual([])
  })

  it('a name taken, a name twice in the file, a file that is not an export: nothing imported', async () => {
    unwrap(await core.handlers.saveDatasource({ input: { name: 'taken', url: '', auth: { type: 'none' } } }))
    const taken = await core.handlers.importDatasources({ text: fileOf(oauthEntry('fresh'), oauthEntry('TAKEN')) })
    expect(!taken.ok && taken.error.message).toBe('A datasource named "taken" already exists.')
    const twice = await core.handlers.importDatasources({ text: fileOf(oauthEntry('twin'), oauthEntry('Twin')) })
    expect(!twice.ok && twice.error.message).toContain('names "Twin" twice (datasources 1 and 2)')
    for (const text of ['{', '[]', JSON.stringify({ format: EXPORT_FORMAT, version: 2, datasources: [] })]) {
      expect((await core.handlers.importDatasources({ text })).ok).toBe(false)
    }
    expect(await names()).toEqual(['taken'])
  })

  it('--replace with one entry moving its stored secrets to another origin: the entries before it are not imported either', async () => {
    const saved = unwrap(await core.handlers.saveDatasource({ input: passwordForm(server, {}, 'moving') }))
    unwrap(await core.handlers.renewNow({ id: saved.id }))
    const moved = oauthEntry('moving', { tokenUrl: 'http://127.0.0.1:9/elsewhere', clientId: saved.auth.type === 'oauth2-password' ? saved.auth.clientId : '' })
    const result = await core.handlers.importDatasources({ text: fileOf(oauthEntry('before-it'), moved), replace: true })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.message).toContain('Datasource 2 ("moving"): Nothing was sent: the token URL now points to 127.0.0.1:9')
    expect(await names()).toEqual(['moving'])
    const after = unwrap(await core.handlers.getDatasource({ id: saved.id }))
    expect(after.auth.type === 'oauth2-password' && after.auth.tokenUrl).toBe(server.tokenUrl)
    expect(after.updatedAt).toBe(saved.updatedAt)
    expect(after.status.token).not.toBeNull()

    const confirmed = unwrap(await core.handlers.importDatasources({ text: fileOf(oauthEntry('before-it'), moved), replace: true, keepSecretsForNewOrigin: true }))
    expect(confirmed.imported.map((view) => view.name)).toEqual(['before-it', 'moving'])
  })
})

describe('a failure while writing leaves nothing behind', () => {
  const withSecrets = (name: string): DatasourceInput => passwordForm(server, {}, name)

  it('the keychain refusing the second datasource password: no row, and the first one secrets are taken back', async () => {
    // The first keeps no password, so the first password written is the second datasource's.
    const first = passwordForm(server, { rememberPassword: false }, 'one')
    const reached = faulty.inject({ operation: 'set', kind: 'password', action: 'fail' })
    const result = await core.service.importAll([first, withSecrets('two')])
    await reached
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.kind).toBe('keychain')
    expect(result.error.message).toContain('Nothing was imported.')
    expect(await names()).toEqual([])
    expect(faulty.log.filter((line) => line.startsWith('set '))).toHaveLength(2)
    expect(await keyring.accounts()).toEqual([])
  })

  it('SQLite failing on the second row: the first row rolls back and every staged secret is deleted', async () => {
    sql((db) => db.exec(`CREATE TRIGGER injected_fault BEFORE INSERT ON datasources WHEN NEW.name = 'two' BEGIN SELECT RAISE(ABORT, 'injected fault'); END`))
    const result = await core.service.importAll([withSecrets('one'), withSecrets('two')])
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.kind).toBe('storage')
    expect(result.error.message).toContain('nothing was imported')
    expect(await names()).toEqual([])
    expect(await keyring.accounts()).toEqual([])
    expect(faulty.log.filter((line) => line.startsWith('set '))).toHaveLength(4)
    expect(sql((db) => db.prepare('SELECT COUNT(*) AS n FROM secret_accounts').get())).toEqual({ n: 0 })
    expect(sql((db) => db.prepare('SELECT COUNT(*) AS n FROM secret_writes').get())).toEqual({ n: 0 })
  })
})
