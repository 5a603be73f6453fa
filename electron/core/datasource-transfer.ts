/**
 * Export and Import in the window. Main only answers where to write or what to read (its save and
 * open dialogs, injected as a FileDialogPort); the core reads and writes the file, checks every
 * entry before anything is stored, and answers the window with a preview: what would be added,
 * what would replace an existing datasource, which datasources will need their secrets. The file
 * never carries a secret, and the preview never carries more than names, hosts and users.
 */
import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { DatasourceInput, DatasourceView } from '../../shared/datasource'
import type { DatasourceId } from '../../shared/ids'
import { appError, fail, ok, type AppError, type Result } from '../../shared/errors'
import { IMPORT_TEXT_LIMIT } from '../../shared/ipc'
import type { ExportReceipt, ImportPreview, ImportPreviewEntry, ImportReport } from '../../shared/import-export'
import { exportedDatasource, exportFileText, parseImportFile } from './datasource-import'
import type { DatasourceRecord } from './db/datasource-repository'
import type { Clock, Logger } from './deps'
import { storedSecretsToNewOrigin } from './secrets/origin-guard'
import { urlHost } from '../../shared/url-parts'

/** The host's file dialogs (Electron's in main, a stand-in in tests); null answers mean "cancelled". */
export interface FileDialogPort {
  chooseExportPath(suggestedName: string): Promise<string | null>
  chooseImportPath(): Promise<string | null>
}

/** A preview is applied within this time, or chosen again. */
const PREVIEW_TTL_MS = 30 * 60_000
const MAX_PREVIEWS = 10

export const EXPORT_FILE_NAME = 'datasource-desk-export.json'

/** One checked entry: the form input the import saves, and what the preview says about it. */
export interface PlannedEntry {
  readonly input: DatasourceInput
  readonly preview: ImportPreviewEntry
}

const importError = (code: 'import-empty' | 'import-too-large', message: string): AppError =>
  appError('validation', code, message, { hint: 'Nothing was imported. Choose a file written by Export (or by `datasource-desk export`).' })

/**
 * Checks a whole export file with the same parser as `datasource-desk import` (datasource-import.ts:
 * the first problem refuses the file, naming the entry and the field) against the datasources stored
 * now, and says per entry what importing it would do. Replacing keeps the stored secrets, except
 * when the token URL moves to another origin: then they are dropped rather than sent to the new
 * server (issue 11, item 5), and the preview says so.
 */
export function planImport(text: string, findByName: (name: string) => DatasourceRecord | undefined): Result<ReadonlyArray<PlannedEntry>> {
  const parsed = parseImportFile(text, findByName, { replace: true })
  if (!parsed.ok) return parsed
  if (parsed.value.length === 0) return fail(importError('import-empty', 'The file holds no datasources.'))
  return ok(
    parsed.value.map((parsedInput) => {
      const existing = parsedInput.id ? findByName(parsedInput.name) : undefined
      let input = parsedInput
      const secretsDropped = storedSecretsToNewOrigin(existing, input) !== null
      if (secretsDropped && input.auth.type === 'oauth2-password') {
        input = { ...input, auth: { ...input.auth, clientSecret: { action: 'set', value: '' }, password: { action: 'set', value: '' } } }
      }
      return { input, preview: previewOf(input, existing, secretsDropped) }
    }),
  )
}

/** The file says exactly what is stored already: importing it changes nothing. */
function sameSettings(existing: DatasourceRecord, input: DatasourceInput): boolean {
  const incoming = { ...existing, name: input.name, url: input.url, auth: input.auth.type === 'none' ? input.auth : { ...existing.auth, ...input.auth } } as DatasourceRecord
  return JSON.stringify(exportedDatasource(existing)) === JSON.stringify(exportedDatasource(incoming))
}

function previewOf(input: DatasourceInput, existing: DatasourceRecord | undefined, secretsDropped: boolean): ImportPreviewEntry {
  const auth = input.auth
  let needsSecrets = false
  if (auth.type === 'oauth2-password') {
    const before = existing?.auth.type === 'oauth2-password' ? existing.auth : null
    const clientSecret = auth.clientAuth !== 'none' && (auth.clientSecret.action === 'set' ? !auth.clientSecret.value : !before?.hasClientSecret)
    const password = auth.rememberPassword && (auth.password.action === 'set' ? !auth.password.value : !before?.hasPassword)
    needsSecrets = clientSecret || password
  }
  return {
    name: input.name,
    action: !existing ? 'add' : sameSettings(existing, input) ? 'unchanged' : 'replace',
    ...(existing ? { existingId: existing.id } : {}),
    tokenHost: auth.type === 'oauth2-password' ? urlHost(auth.tokenUrl, '') : '',
    username: auth.type === 'oauth2-password' ? auth.username : '',
    needsSecrets,
    secretsDropped,
  }
}

export interface TransferDeps {
  /** These datasources (all when absent), in list order; fails when one is gone. */
  readonly records: (ids?: ReadonlyArray<DatasourceId>) => Result<DatasourceRecord[]>
  readonly findByName: (name: string) => DatasourceRecord | undefined
  /** DatasourceService.importAll: every input saved in one transaction, or none. */
  readonly importAll: (inputs: ReadonlyArray<DatasourceInput>) => Promise<Result<DatasourceView[]>>
  readonly dialogs: FileDialogPort | null
  readonly clock: Clock
  readonly logger: Logger
}

interface PendingImport {
  readonly text: string
  readonly previews: ReadonlyArray<ImportPreviewEntry>
  readonly createdAt: number
}

const noDialogs = () => appError('internal', 'no-dialogs', 'Files cannot be chosen here.', { hint: 'Use `datasource-desk export` or `datasource-desk import` in a terminal.' })

function fileError(action: 'read' | 'written', path: string, error: unknown): AppError {
  const code = (error as { code?: unknown } | null)?.code
  const why = code === 'EACCES' || code === 'EPERM' ? ': permission denied' : code === 'ENOENT' ? ': it does not exist' : code === 'ENOSPC' ? ': the disk is full' : code === 'EISDIR' ? ': it is a folder' : ''
  return appError('storage', `file-not-${action}`, `The file ${basename(path)} could not be ${action}${why}.`, { hint: action === 'read' ? 'Choose another file.' : 'Choose another place to save it.' })
}

/** Export to a file and Import from one, with a preview in between. */
export class DatasourceTransfer {
  readonly #deps: TransferDeps
  readonly #pending = new Map<string, PendingImport>()

  constructor(deps: TransferDeps) {
    this.#deps = deps
  }

  async exportToFile(ids: ReadonlyArray<DatasourceId> | undefined): Promise<Result<ExportReceipt>> {
    const { dialogs } = this.#deps
    if (!dialogs) return fail(noDialogs())
    const found = this.#deps.records(ids)
    if (!found.ok) return fail(appError('not-found', 'datasource-not-found', 'A datasource to export no longer exists.', { hint: 'It may have been deleted meanwhile; export again.' }))
    const records = found.value
    if (records.length === 0) return fail(appError('validation', 'export-empty', 'There is nothing to export yet.'))
    const path = await dialogs.chooseExportPath(records.length === 1 ? `${fileNameOf(records[0]!.name)}.json` : EXPORT_FILE_NAME)
    if (!path) return ok({ saved: false })
    // Written next to the target and renamed over it: an existing file is replaced whole or not at all.
    const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`)
    try {
      await writeFile(temporary, exportFileText(records), { encoding: 'utf8', flag: 'wx' })
      await rename(temporary, path)
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined)
      return fail(fileError('written', path, error))
    }
    return ok({ saved: true, path, count: records.length })
  }

  async previewImport(): Promise<Result<ImportPreview>> {
    const { dialogs, clock } = this.#deps
    if (!dialogs) return fail(noDialogs())
    const path = await dialogs.chooseImportPath()
    if (!path) return ok({ chosen: false })
    const fileName = basename(path)
    let text: string
    try {
      const size = (await stat(path)).size
      if (size > IMPORT_TEXT_LIMIT) return fail(importError('import-too-large', `${fileName} is ${Math.round(size / 1024 / 1024)} MB; an export is much smaller.`))
      text = await readFile(path, 'utf8')
    } catch (error) {
      return fail(fileError('read', path, error))
    }
    const planned = planImport(text, this.#deps.findByName)
    if (!planned.ok) return fail({ ...planned.error, message: `${fileName}: ${planned.error.message}` })
    this.#dropStale()
    // Only the newest few previews stay applicable: each holds a whole file in memory.
    for (const id of [...this.#pending.keys()].slice(0, Math.max(0, this.#pending.size - MAX_PREVIEWS + 1))) this.#pending.delete(id)
    const importId = randomUUID()
    const previews = planned.value.map((entry) => entry.preview)
    this.#pending.set(importId, { text, previews, createdAt: clock.now() })
    return ok({ chosen: true, importId, fileName, entries: previews })
  }

  /**
   * Stores what the preview showed, all or nothing (DatasourceService.importAll). Checked again
   * first: if a datasource was added, renamed, changed or removed meanwhile, the preview is out of
   * date and nothing is stored.
   */
  async applyImport(importId: string, replaceExisting: boolean): Promise<Result<ImportReport>> {
    this.#dropStale()
    const pending = this.#pending.get(importId)
    if (!pending) return fail(appError('validation', 'import-expired', 'This import preview is no longer valid.', { hint: 'Choose the file again.' }))
    this.#pending.delete(importId)
    const planned = planImport(pending.text, this.#deps.findByName)
    if (!planned.ok) return planned
    const unchanged = planned.value.length === pending.previews.length && planned.value.every((entry, index) => sameAction(entry.preview, pending.previews[index]!))
    if (!unchanged) {
      return fail(appError('conflict', 'import-stale', 'The datasources changed since the preview; nothing was imported.', { hint: 'Choose the file again to see what it would change now.' }))
    }
    const chosen = planned.value.filter((entry) => entry.preview.action === 'add' || (entry.preview.action === 'replace' && replaceExisting))
    const skipped = planned.value.filter((entry) => !chosen.includes(entry)).map((entry) => entry.preview.name)
    const report = { added: [] as Array<{ id: string; name: string }>, replaced: [] as Array<{ id: string; name: string }>, needSecrets: [] as Array<{ id: string; name: string }>, skipped }
    if (chosen.length === 0) return ok(report)
    const imported = await this.#deps.importAll(chosen.map((entry) => entry.input))
    if (!imported.ok) return imported
    for (const [index, view] of imported.value.entries()) {
      const entry = chosen[index]!
      const done = { id: view.id, name: view.name }
      ;(entry.preview.action === 'add' ? report.added : report.replaced).push(done)
      if (entry.preview.needsSecrets) report.needSecrets.push(done)
    }
    return ok(report)
  }

  #dropStale(): void {
    const now = this.#deps.clock.now()
    for (const [id, pending] of this.#pending) if (now - pending.createdAt > PREVIEW_TTL_MS) this.#pending.delete(id)
  }
}

function sameAction(a: ImportPreviewEntry, b: ImportPreviewEntry): boolean {
  return a.name === b.name && a.action === b.action && a.existingId === b.existingId && a.secretsDropped === b.secretsDropped
}

/** A datasource name as a file name: path separators and other characters file systems refuse become "-". */
export function fileNameOf(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').replace(/^[.\s-]+|[.\s]+$/g, '')
  return cleaned.slice(0, 80) || 'datasource'
}
