import type { ZodError } from 'zod'
import { appError, fail, ok, type AppErrorOf, type Result } from '../../shared/errors'
import { ipcContract, type HandlerTable, type IpcMethod, type IpcParsedPayload, type IpcResults } from '../../shared/ipc'
import { exportFileText, parseImportFile } from './datasource-import'
import type { DatasourceTransfer } from './datasource-transfer'
import type { DatasourceService } from './datasources'
import type { Logger } from './deps'
import type { TokenActions } from './token-actions'

type Implementations = { [M in IpcMethod]: (payload: IpcParsedPayload<M>) => Promise<Result<IpcResults[M]>> | Result<IpcResults[M]> }

/** Longest path or message kept per issue: zod quotes unknown keys, and a hostile renderer can
 * send a megabyte-long key that would otherwise come straight back in the answer. */
const MAX_ISSUE_TEXT = 200

function clip(text: string): string {
  return text.length > MAX_ISSUE_TEXT ? `${text.slice(0, MAX_ISSUE_TEXT)}...` : text
}

/** Turns schema issues into field messages; paths are relative to the form ("auth.tokenUrl"). */
export function validationError(error: ZodError): AppErrorOf<'validation'> {
  const fieldIssues = error.issues.slice(0, 50).map((issue) => ({
    path: clip(issue.path.map(String).join('.').replace(/^input\./, '')),
    message: clip(issue.message),
  }))
  const first = fieldIssues[0]
  return appError('validation', 'invalid-input', first ? `Check the form: ${first.message}.` : 'The request was not valid.', {
    hint: 'Correct the marked fields and try again.',
    cliHint: 'Correct the values named above and run the command again.',
    fieldIssues,
  })
}

/**
 * One function per IPC channel. Each parses its payload with the shared schema first (the renderer
 * is not trusted), never throws, and answers with a typed Result.
 */
export function createHandlers(service: DatasourceService, tokenActions: TokenActions, transfer: DatasourceTransfer, logger: Logger): HandlerTable {
  const implementations: Implementations = {
    listDatasources: () => ok(service.list()),
    getDatasource: ({ id }) => service.get(id),
    testConnection: ({ testId, input }) => service.test(testId, input),
    cancelTest: ({ testId }) => ok(service.cancelTest(testId)),
    tryOtherClientAuth: ({ testId, input }) => service.tryOtherClientAuth(testId, input),
    discoverIssuer: ({ issuer }) => service.discover(issuer),
    saveDatasource: ({ input, testId }) => service.save(input, testId),
    deleteDatasource: ({ id }) => service.delete(id),
    renewNow: ({ id }) => service.renewNow(id),
    signIn: ({ id, password, remember }) => service.signIn(id, password, remember),
    getHistory: ({ id }) => service.history(id),
    getAppState: async () => ok(await service.appState()),
    copyToken: ({ id, format }) => tokenActions.copy(id, format),
    getTokenDetails: ({ id }) => tokenActions.details(id),
    introspectToken: ({ id }) => tokenActions.introspect(id),
    clearToken: ({ id }) => service.clearToken(id),
    importDatasources: async ({ text, replace, keepSecretsForNewOrigin }) => {
      // Parsed here, with the schemas, so the service (and the CLI's due `token`) never loads zod.
      const parsed = parseImportFile(text, (name) => service.findByName(name), { replace: replace ?? false, keepSecretsForNewOrigin: keepSecretsForNewOrigin ?? false })
      if (!parsed.ok) return parsed
      const result = await service.importAll(parsed.value)
      return result.ok ? ok({ imported: result.value }) : result
    },
    exportDatasources: ({ ids }) => {
      const records = service.records(ids)
      return records.ok ? ok({ text: exportFileText(records.value) }) : records
    },
    exportToFile: ({ ids }) => transfer.exportToFile(ids),
    previewImport: () => transfer.previewImport(),
    applyImport: ({ importId, replaceExisting }) => transfer.applyImport(importId, replaceExisting),
  }

  const table = {} as Record<IpcMethod, (payload: unknown) => Promise<Result<unknown>>>
  for (const method of Object.keys(ipcContract) as IpcMethod[]) {
    const schema = ipcContract[method].payload
    const implementation = implementations[method] as (payload: unknown) => Promise<Result<unknown>> | Result<unknown>
    table[method] = async (payload: unknown) => {
      const parsed = schema.safeParse(payload ?? {})
      if (!parsed.success) return fail(validationError(parsed.error))
      try {
        return await implementation(parsed.data)
      } catch (error) {
        // Only the error's class goes to the log: its message might quote user input.
        logger.error('handler failed', { method, error: error instanceof Error ? error.name : typeof error })
        return fail(appError('internal', 'unexpected', 'Something went wrong inside Datasource Desk.', { hint: 'Try again; if it keeps happening, restart the app.' }))
      }
    }
  }
  return table as HandlerTable
}
