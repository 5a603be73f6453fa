/**
 * The export file and what an import makes of it. An import is all or nothing (issue 11, item 11):
 * the whole file is checked here first, each problem named by its entry and field; only then are
 * secrets asked for (CLI) and everything written in one transaction (DatasourceService.importAll).
 */
import { datasourceInputSchema, type DatasourceInput, type OAuth2PasswordInput } from '../../shared/datasource'
import { appError, fail, ok, type AppError, type Result } from '../../shared/errors'
import type { DatasourceRecord } from './db/datasource-repository'
import { validationError } from './handlers'

export const EXPORT_FORMAT = 'datasource-desk/datasources'
export const EXPORT_VERSION = 1

/** One datasource in an export: its configuration, never a secret or a token. */
export type ExportedDatasource =
  | { readonly name: string; readonly url: string; readonly auth: { readonly type: 'none' } }
  | {
      readonly name: string
      readonly url: string
      readonly auth: Omit<OAuth2PasswordInput, 'clientSecret' | 'password'>
    }

export interface ExportFile {
  readonly format: typeof EXPORT_FORMAT
  readonly version: typeof EXPORT_VERSION
  readonly datasources: ReadonlyArray<ExportedDatasource>
}

export interface ImportOptions {
  /** Update datasources whose name is already taken (their secrets are kept) instead of refusing. */
  readonly replace?: boolean
  /** The user agrees that kept secrets go to a replaced datasource's new token URL origin. */
  readonly keepSecretsForNewOrigin?: boolean
}

export function exportedDatasource(record: DatasourceRecord): ExportedDatasource {
  const { auth } = record
  if (auth.type === 'none') return { name: record.name, url: record.url, auth: { type: 'none' } }
  return {
    name: record.name,
    url: record.url,
    auth: {
      type: 'oauth2-password',
      tokenUrl: auth.tokenUrl,
      clientId: auth.clientId,
      clientAuth: auth.clientAuth,
      username: auth.username,
      rememberPassword: auth.rememberPassword,
      scope: auth.scope,
      extraParams: auth.extraParams.map((param) => ({ name: param.name, value: param.value })),
      ...(auth.issuer ? { issuer: auth.issuer } : {}),
      ...(auth.preset ? { preset: auth.preset } : {}),
    },
  }
}

/** The text of an export file of these datasources (what `export` prints and the window saves). */
export function exportFileText(records: ReadonlyArray<DatasourceRecord>): string {
  const file: ExportFile = { format: EXPORT_FORMAT, version: EXPORT_VERSION, datasources: records.map(exportedDatasource) }
  return `${JSON.stringify(file, null, 2)}\n`
}

/**
 * The form input for one entry of an export file. Only known configuration fields are read: a
 * secret someone added to the file by hand is ignored, never stored.
 */
function inputFromExported(entry: Record<string, unknown>, existing: DatasourceRecord | undefined): unknown {
  const auth = (entry.auth ?? {}) as Record<string, unknown>
  const keepOrEmpty = existing ? { action: 'keep' } : { action: 'set', value: '' }
  return {
    ...(existing ? { id: existing.id } : {}),
    name: entry.name,
    url: entry.url ?? '',
    auth:
      auth.type === 'none'
        ? { type: 'none' }
        : {
            type: auth.type,
            tokenUrl: auth.tokenUrl,
            clientId: auth.clientId,
            clientSecret: keepOrEmpty,
            clientAuth: auth.clientAuth,
            username: auth.username,
            password: keepOrEmpty,
            rememberPassword: auth.rememberPassword ?? true,
            scope: auth.scope ?? '',
            extraParams: auth.extraParams ?? [],
            ...(typeof auth.issuer === 'string' && auth.issuer ? { issuer: auth.issuer } : {}),
            ...(typeof auth.preset === 'string' ? { preset: auth.preset } : {}),
          },
  }
}

const fileError = (message: string, fieldIssues?: AppError['fieldIssues']): AppError =>
  appError('validation', 'import-invalid', message, {
    hint: 'Nothing was imported. Use a file written by "datasource-desk export" or the app\'s Export, corrected where named.',
    ...(fieldIssues ? { fieldIssues } : {}),
  })

/**
 * Checks a whole export file and returns the form inputs it stands for, in file order; the first
 * problem found is returned instead (naming the entry, its name and the field), and then nothing
 * may be imported. `findByName` looks up the datasource an entry would replace.
 */
export function parseImportFile(text: string, findByName: (name: string) => DatasourceRecord | undefined, options: ImportOptions = {}): Result<DatasourceInput[]> {
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch {
    return fail(fileError('The file to import is not JSON.'))
  }
  const { format, version, datasources } = (file !== null && typeof file === 'object' ? file : {}) as Partial<Record<keyof ExportFile, unknown>>
  if (format !== EXPORT_FORMAT || !Array.isArray(datasources)) return fail(fileError('The file to import is not a Datasource Desk export.'))
  if (version !== EXPORT_VERSION) return fail(fileError(`The export has version ${String(version)}; this version of Datasource Desk reads version ${EXPORT_VERSION}.`))

  const inputs: DatasourceInput[] = []
  const names = new Map<string, number>()
  for (const [index, entry] of (datasources as unknown[]).entries()) {
    const position = `Datasource ${index + 1}`
    // A `null` or a number in the list is a malformed file, not a bug.
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return fail(fileError(`${position} in the file is not an object; nothing was imported.`, [{ path: `datasources.${index}`, message: 'Not an object' }]))
    }
    const record = entry as Record<string, unknown>
    const name = typeof record.name === 'string' ? record.name : ''
    const label = `${position}${name ? ` ("${name}")` : ''}`
    const existing = name ? findByName(name) : undefined
    if (existing && !options.replace) {
      return fail(
        appError('conflict', 'name-taken', `A datasource named "${existing.name}" already exists.`, {
          hint: 'Nothing was imported. Remove it first, or import with replace to update its configuration (its secrets are kept).',
          fieldIssues: [{ path: `datasources.${index}.name`, message: 'This name is already used' }],
        }),
      )
    }
    const parsed = datasourceInputSchema.safeParse(inputFromExported(record, existing))
    if (!parsed.success) {
      const issues = validationError(parsed.error).fieldIssues ?? []
      const first = issues[0]
      return fail(
        fileError(
          first ? `${label}, field ${first.path || '(entry)'}: ${first.message}; nothing was imported.` : `${label} is not valid; nothing was imported.`,
          issues.map((issue) => ({ path: `datasources.${index}${issue.path ? `.${issue.path}` : ''}`, message: issue.message })),
        ),
      )
    }
    const key = parsed.data.name.toLowerCase()
    const twice = names.get(key)
    if (twice !== undefined) {
      return fail(fileError(`The file names "${parsed.data.name}" twice (datasources ${twice + 1} and ${index + 1}); nothing was imported.`, [{ path: `datasources.${index}.name`, message: 'Named twice in the file' }]))
    }
    names.set(key, index)
    inputs.push(options.keepSecretsForNewOrigin ? withConfirmedOrigin(parsed.data) : parsed.data)
  }
  return ok(inputs)
}

/** The user's yes to sending kept secrets to the token URL's (new) origin. */
export function withConfirmedOrigin(input: DatasourceInput): DatasourceInput {
  if (input.auth.type !== 'oauth2-password') return input
  let origin: string
  try {
    origin = new URL(input.auth.tokenUrl).origin
  } catch {
    return input
  }
  return { ...input, auth: { ...input.auth, confirmedOrigin: origin } }
}
