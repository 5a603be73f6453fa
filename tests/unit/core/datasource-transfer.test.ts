import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DatasourceInput } from '../../../shared/datasource'
import type { Result } from '../../../shared/errors'
import type { ExportReceipt, ImportPreview, ImportReport } from '../../../shared/import-export'
import { createCore, type Core } from '../../../electron/core/core'
import { DatasourceTransfer, fileNameOf, type FileDialogPort } from '../../../electron/core/datasource-transfer'
import { silentLogger } from '../../../electron/core/deps'
import { EXPORT_FORMAT } from '../../../electron/core/datasource-import'
import { FakeClock } from '../../support/fake-clock'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

const CLIENT_SECRET = 'client-secret-canary'
const PASSWORD = 'password-canary'

/** The dialogs as a user answers them: the next path to pick, or null to cancel. */
class ScriptedDialogs implements FileDialogPort {
  savePath: string | null = null
  openPath: string | null = null
  suggested: string[] = []
  async chooseExportPath(suggestedName: string): Promise<string | null> {
    this.suggested.push(suggestedName)
    return this.savePath
  }
  async chooseImportPath(): Promise<string | null> {
    return this.openPath
  }
}

function oauthInput(name: string, overrides: Partial<Extract<DatasourceInput['auth'], { type: 'oauth2-password' }>> = {}): DatasourceInput {
  return {
    name,
    url: 'https://api.example.com/v1',
    auth: {
      type: 'oauth2-password',
      tokenUrl: 'https://auth.example.com/token',
      clientId: 'desk',
      clientSecret: { action: 'set', value: CLIENT_SECRET },
      clientAuth: 'basic',
      username: 'ana',
      password: { action: 'set', value: PASSWORD },
      rememberPassword: true,
      scope: 'read',
      extraParams: [],
      ...overrides,
    },
  }
}

const value = <T>(result: Result<T>): T => {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.value
}

let temp: ReturnType<typeof makeTempDir>
let secrets: MemorySecretStore
let dialogs: ScriptedDialogs
let core: Core

beforeEach(async () => {
  temp = makeTempDir()
  secrets = new MemorySecretStore()
  dialogs = new ScriptedDialogs()
  const refuse = async (): Promise<Response> => {
    throw new Error('no request is made by export or import')
  }
  core = await createCore({ dataDir: temp.dir, secretStore: secrets, fetch: refuse, clock: new FakeClock(), notify: () => {}, fileDialogs: dialogs })
})

afterEach(async () => {
  await core.close()
  temp.cleanup()
})

const exportAll = async (ids?: string[]): Promise<ExportReceipt> => value(await core.handlers.exportToFile(ids ? { ids } : {}))
const preview = async (): Promise<ImportPreview> => value(await core.handlers.previewImport({}))
const chosen = async () => {
  const result = await preview()
  if (!result.chosen) throw new Error('no file chosen')
  return result
}
const apply = async (importId: string, replaceExisting: boolean): Promise<ImportReport> => value(await core.handlers.applyImport({ importId, replaceExisting }))
const writeExport = (path: string, datasources: unknown[]) => writeFileSync(path, JSON.stringify({ format: EXPORT_FORMAT, version: 1, datasources }))

describe('Export to a file', () => {
  it('writes every datasource sorted by name, never a secret; a cancelled dialog writes nothing', async () => {
    value(await core.service.save(oauthInput('CRM')))
    value(await core.service.save({ name: 'billing', url: 'https://billing.example.com', auth: { type: 'none' } }))
    await expect(exportAll()).resolves.toEqual({ saved: false })
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.json'))).toEqual([])

    dialogs.savePath = join(temp.dir, 'out.json')
    await expect(exportAll()).resolves.toEqual({ saved: true, path: dialogs.savePath, count: 2 })
    const text = readFileSync(dialogs.savePath, 'utf8')
    expect(JSON.parse(text).datasources.map((entry: { name: string }) => entry.name)).toEqual(['billing', 'CRM'])
    expect(text).not.toContain(CLIENT_SECRET)
    expect(text).not.toContain(PASSWORD)
    expect(dialogs.suggested).toEqual(['datasource-desk-export.json', 'datasource-desk-export.json'])
  })

  it('one datasource suggests its name as the file name; a folder that does not exist is named and nothing is created', async () => {
    const saved = value(await core.service.save(oauthInput('EU / prod: CRM')))
    const folder = join(temp.dir, 'gone')
    dialogs.savePath = join(folder, 'crm.json')
    const missingFolder = await core.handlers.exportToFile({ ids: [saved.id] })
    expect(dialogs.suggested).toEqual(['EU - prod- CRM.json'])
    expect(missingFolder.ok).toBe(false)
    if (!missingFolder.ok) expect(missingFolder.error).toMatchObject({ kind: 'storage', message: 'The file crm.json could not be written: it does not exist.' })
    expect(existsSync(folder)).toBe(false)
  })

  it('replaces an existing file whole', async () => {
    value(await core.service.save(oauthInput('CRM')))
    dialogs.savePath = join(temp.dir, 'out.json')
    writeFileSync(dialogs.savePath, 'x'.repeat(100_000))
    value(await core.handlers.exportToFile({}))
    expect(JSON.parse(readFileSync(dialogs.savePath, 'utf8')).format).toBe(EXPORT_FORMAT)
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('file names: separators and control characters never reach the suggested name', () => {
    expect(fileNameOf('../../etc/passwd')).toBe('etc-passwd')
    expect(fileNameOf('a\u0000b')).toBe('a-b')
    expect(fileNameOf('...')).toBe('datasource')
  })
})

describe('Import from a file', () => {
  it('previews what would be added, replaced or left as it is, and stores nothing until applied', async () => {
    value(await core.service.save(oauthInput('CRM')))
    value(await core.service.save(oauthInput('Billing')))
    dialogs.savePath = join(temp.dir, 'desk.json')
    await exportAll()
    const file = JSON.parse(readFileSync(dialogs.savePath, 'utf8'))
    file.datasources[1].auth.scope = 'read write'
    file.datasources.push({ ...file.datasources[0], name: 'Search' })
    writeFileSync(dialogs.savePath, JSON.stringify(file))

    dialogs.openPath = dialogs.savePath
    const shown = await chosen()
    expect(shown.fileName).toBe('desk.json')
    expect(shown.entries.map(({ name, action, needsSecrets }) => ({ name, action, needsSecrets }))).toEqual([
      { name: 'Billing', action: 'unchanged', needsSecrets: false },
      { name: 'CRM', action: 'replace', needsSecrets: false },
      { name: 'Search', action: 'add', needsSecrets: true },
    ])
    expect(core.service.list()).toHaveLength(2)

    const report = await apply(shown.importId, false)
    expect(report.added.map((entry) => entry.name)).toEqual(['Search'])
    expect(report.replaced).toEqual([])
    expect(report.skipped).toEqual(['Billing', 'CRM'])
    expect(report.needSecrets.map((entry) => entry.name)).toEqual(['Search'])
    const crm = core.service.list().find((entry) => entry.name === 'CRM')
    expect(crm?.auth.type === 'oauth2-password' && crm.auth.scope).toBe('read')
    // A preview is applied once.
    const again = await core.handlers.applyImport({ importId: shown.importId, replaceExisting: true })
    expect(again.ok).toBe(false)
  })

  it('replacing keeps the stored secrets for the same server and drops them for another origin', async () => {
    value(await core.service.save(oauthInput('CRM')))
    value(await core.service.save(oauthInput('Moved')))
    const path = join(temp.dir, 'in.json')
    const exported = (name: string, tokenUrl: string) => ({ name, url: 'https://api.example.com/v1', auth: { type: 'oauth2-password', tokenUrl, clientId: 'desk', clientAuth: 'basic', username: 'ana', rememberPassword: true, scope: 'admin', extraParams: [] } })
    writeExport(path, [exported('CRM', 'https://auth.example.com/token2'), exported('Moved', 'https://evil.example.net/token')])
    dialogs.openPath = path
    const shown = await chosen()
    expect(shown.entries.map(({ name, secretsDropped, needsSecrets }) => ({ name, secretsDropped, needsSecrets }))).toEqual([
      { name: 'CRM', secretsDropped: false, needsSecrets: false },
      { name: 'Moved', secretsDropped: true, needsSecrets: true },
    ])
    const report = await apply(shown.importId, true)
    expect(report.replaced.map((entry) => entry.name)).toEqual(['CRM', 'Moved'])
    const byName = new Map(core.service.list().map((entry) => [entry.name, entry]))
    expect(byName.get('CRM')?.auth).toMatchObject({ scope: 'admin', hasClientSecret: true, hasPassword: true })
    expect(byName.get('Moved')?.auth).toMatchObject({ tokenUrl: 'https://evil.example.net/token', hasClientSecret: false, hasPassword: false })
    expect([...secrets.values.values()].filter((stored) => stored === CLIENT_SECRET)).toHaveLength(1)
  })

  it('refuses the whole file for one bad entry, a repeated name, an unknown format or a huge file', async () => {
    const path = join(temp.dir, 'in.json')
    dialogs.openPath = path
    const refusal = async () => {
      const result = await core.handlers.previewImport({})
      if (result.ok) throw new Error('accepted')
      return result.error
    }
    writeExport(path, [{ name: 'Good', url: '', auth: { type: 'none' } }, { name: 'Bad', url: 'ftp://x', auth: { type: 'none' } }])
    expect((await refusal()).message).toBe('in.json: Datasource 2 ("Bad"), field url: Only http:// and https:// URLs are supported; nothing was imported.')
    writeExport(path, [{ name: 'Same', url: '', auth: { type: 'none' } }, { name: 'same', url: '', auth: { type: 'none' } }])
    expect((await refusal()).message).toBe('in.json: The file names "same" twice (datasources 1 and 2); nothing was imported.')
    writeExport(path, [null])
    expect((await refusal()).message).toBe('in.json: Datasource 1 in the file is not an object; nothing was imported.')
    writeFileSync(path, '[]')
    expect((await refusal()).message).toBe('in.json: The file to import is not a Datasource Desk export.')
    writeExport(path, [])
    expect((await refusal()).message).toBe('in.json: The file holds no datasources.')
    writeFileSync(path, '{')
    expect((await refusal()).message).toBe('in.json: The file to import is not JSON.')
    writeFileSync(path, JSON.stringify({ format: EXPORT_FORMAT, version: 2, datasources: [] }))
    expect((await refusal()).message).toMatch(/version 2; this version of Datasource Desk reads version 1/)
    writeFileSync(path, ' '.repeat(17 * 1024 * 1024))
    expect((await refusal()).code).toBe('import-too-large')
    chmodSync(path, 0o000)
    // root reads any file, so this refusal shows only for other users.
    if (process.getuid?.() !== 0) expect((await refusal()).message).toMatch(/could not be read: permission denied/)
    expect(core.service.list()).toEqual([])
  })

  it('a preview that no longer matches the datasources stores nothing', async () => {
    const path = join(temp.dir, 'in.json')
    writeExport(path, [{ name: 'Alpha', url: '', auth: { type: 'none' } }, { name: 'Beta', url: '', auth: { type: 'none' } }])
    dialogs.openPath = path
    const shown = await chosen()
    // Someone adds "Beta" meanwhile (the command line, another window): it would now be replaced.
    value(await core.service.save({ name: 'Beta', url: 'https://beta.example.com', auth: { type: 'none' } }))
    const result = await core.handlers.applyImport({ importId: shown.importId, replaceExisting: true })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('import-stale')
    expect(core.service.list().map((entry) => entry.name)).toEqual(['Beta'])
  })

  it('the window cannot name a file: a path in the payload is refused, only the dialog picks one', async () => {
    writeExport(join(temp.dir, 'planted.json'), [{ name: 'Planted', url: '', auth: { type: 'none' } }])
    const result = await core.handlers.previewImport({ path: join(temp.dir, 'planted.json') })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.kind).toBe('validation')
    const exported = await core.handlers.exportToFile({ path: join(temp.dir, 'x.json') })
    expect(exported.ok).toBe(false)
    expect(core.service.list()).toEqual([])
  })

  it('without dialogs (the command line) there is nothing to choose', async () => {
    const { service } = core
    const transfer = new DatasourceTransfer({ records: (ids) => service.records(ids), findByName: (name) => service.findByName(name), importAll: (inputs) => service.importAll(inputs), dialogs: null, clock: new FakeClock(), logger: silentLogger })
    const result = await transfer.previewImport()
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('no-dialogs')
  })
})
