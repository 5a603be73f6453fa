/**
 * Every command on the full core: the app's service and handler table, so validation, messages,
 * renewal (single-flight, cross-process lease) and keychain handling are exactly the app's.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { datasourceInputSchema, offersPasswordGrant, preferredClientAuth, type DatasourceInput, type DatasourceView, type DiscoveredServer } from '../../shared/datasource'
import type { ClientAuthMethod } from '../../shared/client-auth'
import { AppFailure, appError, noOAuth, ok, testFailureTitle, type Result } from '../../shared/errors'
import type { TestReport } from '../../shared/connection-test'
import { revocationText } from '../../shared/revocation'
import { introspectionFacts } from '../../shared/introspection'
import { apiRetryText } from '../../shared/api-check'
import { expirySourceText, formatClock, formatExpiry, formatRelative, idTokenLabels, notConnected, type TokenMeta, type TokenStatus } from '../../shared/token'
import { refreshTokenLabels, statusView, type StatusView } from '../../shared/token-status'
import { DatabaseCorruptError, DatabaseFullError, isOutOfSpace } from '../core/db/connection'
import type { DatasourceRecord } from '../core/db/datasource-repository'
import { MigrationError } from '../core/db/migrations'
import { believedRenewalState } from '../core/leftover-renewing'
import { validationError } from '../core/handlers'
import { isClientAuthRefusal } from '../core/oauth/client-auth-negotiation'
import { keychainAppError, missingSecretError, secretLabels } from '../core/secrets/keychain-errors'
import { ACCESS_TOKEN_CHARS } from '../../shared/untrusted-text'
import { UsageError, type OptionValues, type ParsedCommandLine } from './args'
import { openCliContext, type CliContext } from './context'
import { changesToken, inputForAdd, inputForEdit, inputFromRecord, presetGaps, presetOf, type SecretValues } from './datasource-options'
import { exportFileText, parseImportFile, withConfirmedOrigin as confirmOrigin } from '../core/datasource-import'
import { EXIT_CODES, exitCodeForKind, type ExitCode } from './exit-codes'
import { isFresh } from './freshness'
import { cliHint, formatError, shellWord, shown, statusText, table, type Output } from './output'
import { closest } from './suggest'
import { PromptCancelled, secretsFromStdin, type SecretName, type SecretSource } from './secret-input'

export interface RunOptions {
  readonly dataDir: string
  readonly keychainService: string
  readonly output: Output
  readonly secretSource: SecretSource
}

type Command = Extract<ParsedCommandLine, { kind: 'command' }>

export async function runCommand(command: Command, options: RunOptions): Promise<ExitCode> {
  const { output } = options
  let context: CliContext | undefined
  try {
    context = await openCliContext({ dataDir: options.dataDir, keychainService: options.keychainService })
    await COMMAND_RUNNERS[command.command.name]?.(context, command, options)
    if (CLEANS_UP.has(command.command.name)) await cleanUpAbandonedSecrets(context)
    return EXIT_CODES.success
  } catch (error) {
    return report(error, options)
  } finally {
    // A token discarded during the command is being revoked at its server (bounded by its deadline).
    await context?.service.revocationsSettled()
    await context?.close()
  }
  function report(error: unknown, { dataDir }: RunOptions): ExitCode {
    if (error instanceof AppFailure) {
      output.err(formatError(error.error, error.title, error.datasourceName))
      return exitCodeForKind(error.error.kind)
    }
    if (error instanceof UsageError) {
      output.err(`datasource-desk: ${error.message}\n`)
      return EXIT_CODES.usage
    }
    if (error instanceof PromptCancelled) {
      output.err('datasource-desk: Cancelled; nothing was changed.\n')
      return EXIT_CODES.failure
    }
    if (error instanceof DatabaseCorruptError || error instanceof MigrationError) {
      // The app shows the same message in its start-up dialog, with the folder to look in.
      output.err(`datasource-desk: ${error.message}\nhint: Data folder: ${dataDir}\n`)
      return EXIT_CODES.failure
    }
    const code = (error as { code?: string }).code
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      output.err(`datasource-desk: The data folder ${dataDir} is not a folder (a file has its name or is in its path).\nhint: Move that file away, or choose another folder with --data-dir.\n`)
      return EXIT_CODES.failure
    }
    if (error instanceof DatabaseFullError) {
      output.err(`datasource-desk: ${error.message}\nhint: Nothing was changed. Free some space on that disk, then run the command again.\n`)
      return EXIT_CODES.failure
    }
    if (isOutOfSpace(error)) {
      output.err(`datasource-desk: The database in ${dataDir} could not be written: there is no space left on its disk (${code}).\nhint: Nothing was changed. Free some space on that disk, then run the command again.\n`)
      return EXIT_CODES.failure
    }
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      output.err(`datasource-desk: The database in ${dataDir} could not be used (${code}).\n`)
      return EXIT_CODES.failure
    }
    output.err(
      formatError(appError('internal', 'unexpected', 'Something went wrong inside Datasource Desk.', { hint: 'Try again; if it keeps happening, run it again with the same arguments and report the exit code.' })),
    )
    return EXIT_CODES.failure
  }
}

/** RFC 6749 5.1: no scope in the answer means the requested one was granted; never "none requested (as requested)". */
function grantedScopeText(token: Pick<TokenMeta, 'grantedScope' | 'requestedScope'>): string {
  if (token.grantedScope === null) return token.requestedScope ? `${token.requestedScope} (as requested)` : 'none requested'
  return token.grantedScope || 'none granted'
}

/** In a terminal "9:41 AM (in 59 min)"; for scripts an ISO 8601 time; "-" when there is none. */
function expiryCell(expiresAt: number | null, now: number, terminal: boolean): string {
  // An older version could store a non-finite expiry; toISOString would throw on it.
  if (expiresAt === null || !Number.isFinite(expiresAt)) return '-'
  return terminal ? `${formatClock(expiresAt, now)} (${formatRelative(expiresAt, now)})` : new Date(expiresAt).toISOString()
}

type Runner = (context: CliContext, command: Command, options: RunOptions) => Promise<void>

/**
 * Commands that change datasources also delete the keychain entries earlier processes left behind
 * in this database (issue 11, item 7): a killed `add`, a `remove` the keychain did not answer, the
 * old versions a renewal released (a command's renewal does not wait for their deletes). It reads
 * only what SQLite records as abandoned (never a keychain listing), so it costs nothing when there
 * is nothing to do. `token` and `header` with a fresh token never run it; with a due one they
 * delete a few beside their renewal (due-token.ts).
 */
const CLEANS_UP: ReadonlySet<string> = new Set(['add', 'edit', 'remove', 'import', 'renew'])

async function cleanUpAbandonedSecrets(context: CliContext): Promise<void> {
  try {
    await context.service.cleanUpAbandonedSecrets()
  } catch {
    // The command itself succeeded; what is left stays recorded for the next one.
  }
}

const COMMAND_RUNNERS: Readonly<Record<string, Runner>> = {
  list: async (context, command, { output }) => {
    const now = context.clock.now()
    const records = context.repo.list()
    if (command.values.json === true) return output.out(`${JSON.stringify(records.map((record) => datasourceJson(context, record, now)), null, 2)}\n`)
    if (records.length === 0) return output.out('No datasources yet. Add one with "datasource-desk add <name> ..." or in the app.\n')
    const terminal = output.columns !== undefined
    output.out(
      table(
        ['NAME', 'AUTHENTICATION', 'TOKEN URL', 'TOKEN', 'EXPIRES', 'RENEWAL'],
        records.map((record) => {
          const status = storedStatus(context, record.id, now)
          const view = storedView(record, status, now)
          return [
            record.name,
            record.auth.type === 'none' ? 'None' : 'OAuth2 - Password',
            record.auth.type === 'none' ? '-' : record.auth.tokenUrl,
            view.usabilityWord,
            expiryCell(status.token?.expiresAt ?? null, now, terminal),
            view.renewalWord,
          ]
        }),
        // The token URL gives way first, then the name: status and expiry are what a glance wants.
        { width: output.columns, shrink: [2, 0, 1] },
      ),
    )
  },

  status: async (context, command, { output }) => {
    const now = context.clock.now()
    const name = command.positionals[0]
    const records = name === undefined ? context.repo.list() : [requireDatasource(context, name)]
    if (command.values.json === true) {
      const items = records.map((record) => datasourceJson(context, record, now))
      return output.out(`${JSON.stringify(name === undefined ? items : items[0], null, 2)}\n`)
    }
    if (name === undefined) {
      if (records.length === 0) return output.out('No datasources yet.\n')
      return output.out(
        table(['NAME', 'STATUS'], records.map((record) => [record.name, statusText(storedStatus(context, record.id, now), now, record.auth.type !== 'none')]), { width: output.columns, shrink: [1, 0] }),
      )
    }
    output.out(statusDetails(context, records[0]!, now))
  },

  add: async (context, command, options) => {
    const name = command.positionals[0]!
    if (context.repo.idByName(name)) {
      throw new AppFailure(appError('conflict', 'name-taken', `A datasource named "${name}" already exists.`, { hint: 'Choose another name.' }))
    }
    const gaps = presetGaps(command.values)
    if (gaps) throw new UsageError(gaps)
    const values = await withDiscovery(context, command.values, options.output)
    // The fields are checked before anyone is asked for a secret that would then be wasted.
    checkInput(inputForAdd(name, values, { clientSecret: 'x', password: 'x' }))
    const secrets = await gatherSecrets(values, options.secretSource, { promptByDefault: true, form: inputForAdd(name, values, {}) })
    const input = inputForAdd(name, values, secrets)
    const view = await testAndSave(context, input, values, options.output, true)
    options.output.out(`Added "${shown(view.name)}": ${statusText(view.status, context.clock.now(), view.auth.type !== 'none')}\n`)
  },

  edit: async (context, command, options) => {
    const record = requireDatasource(context, command.positionals[0]!)
    checkInput(inputForEdit(record, command.values, {}))
    const secrets = await gatherSecrets(command.values, options.secretSource, { promptByDefault: false, form: inputForEdit(record, command.values, {}) })
    const input = withConfirmedOrigin(inputForEdit(record, command.values, secrets), command.values)
    const view = await testAndSave(context, input, command.values, options.output, changesToken(record, input))
    options.output.out(`Saved "${shown(view.name)}": ${statusText(view.status, context.clock.now(), view.auth.type !== 'none')}\n`)
  },

  remove: async (context, command, options) => {
    const { output, secretSource } = options
    const record = requireDatasource(context, command.positionals[0]!)
    if (command.values.yes !== true) {
      if (!secretSource.stdinIsTerminal) throw new UsageError('Removing needs --yes when not run in a terminal.')
      if (!(await secretSource.confirm(`Remove "${shown(record.name)}", its stored secrets and its token? [y/N] `))) {
        return output.err('Nothing was removed.\n')
      }
    }
    const report = unwrap(await context.handlers.deleteDatasource({ id: record.id }))
    // Said either way: the delete stands whether or not the server revoked the tokens.
    const revocation = report.revocation ? `${shown(revocationText(report.revocation))}\n` : ''
    if (report.secretsLeft?.length) {
      if (revocation) output.err(revocation)
      // Never "Removed" while secrets stay behind: say exactly which, and exit 6 (issue 11, item 2).
      const left = report.secretsLeft.map((kind) => secretLabels[kind]).join(', ')
      throw new AppFailure(
        appError('keychain', 'secrets-left', `Removed "${record.name}" from the database, but the OS keychain did not delete: ${left}.`, {
          hint: `They are recorded: the next add, edit, remove or import on this data folder (or the app at start-up) deletes them once the keychain answers; or delete them in your keychain manager (service "${options.keychainService}", accounts containing ${record.id}).`,
        }),
      )
    }
    output.out(`Removed "${shown(record.name)}".\n${revocation}`)
  },

  test: async (context, command, { output }) => {
    const record = requireDatasource(context, command.positionals[0]!)
    const input = inputFromRecord(record)
    const result = await context.handlers.testConnection({ testId: randomUUID(), input })
    if (!result.ok) {
      if (command.values['try-other-auth'] === true && isClientAuthRefusal(result.error)) {
        const found = await tryOtherAuth(context, input, output)
        if (found) {
          throw new AppFailure(
            { ...result.error, cliHint: `The server accepts --client-auth ${found.method}: switch with "datasource-desk edit ${shellWord(record.name)} --client-auth ${found.method}".` },
            testFailureTitle(result.error),
            record.name,
          )
        }
      }
      throw new AppFailure(result.error, testFailureTitle(result.error), record.name)
    }
    output.out(testReportText(result.value, context.clock.now()))
  },

  token: async (context, command, { output }) => {
    output.out(`${await validAccessToken(context, command.positionals[0]!)}\n`)
  },

  header: async (context, command, { output }) => {
    // Only Bearer tokens are ever stored: the OAuth client refuses other token types.
    output.out(`Authorization: Bearer ${await validAccessToken(context, command.positionals[0]!)}\n`)
  },

  introspect: async (context, command, { output }) => {
    const record = requireOAuthDatasource(context, command.positionals[0]!)
    const result = await context.handlers.introspectToken({ id: record.id })
    if (!result.ok) throw new AppFailure(result.error, undefined, record.name)
    const report = result.value
    if (command.values.json === true) return output.out(`${JSON.stringify(report, null, 2)}\n`)
    const now = context.clock.now()
    const headline = report.active
      ? `Active at ${report.host}: the server accepts the token of "${shown(record.name)}".`
      : `Not active at ${report.host}: the server rejects the token of "${shown(record.name)}" (revoked or expired there). Run "datasource-desk renew ${shellWord(record.name)}" for a new one.`
    const facts = introspectionFacts(report).slice(1)
    const width = Math.max(0, ...facts.map(([name]) => name.length)) + 2
    const lines = facts.map(([name, value]) => `  ${`${name}:`.padEnd(width)} ${typeof value === 'number' ? `${formatClock(value * 1000, now)} (${new Date(value * 1000).toISOString()})` : shown(value)}`)
    output.out(`${headline}\n${lines.map((line) => `${line}\n`).join('')}`)
  },

  renew: async (context, command, { output }) => {
    const record = requireOAuthDatasource(context, command.positionals[0]!)
    const renewed = await context.service.renew(record.id)
    if (!renewed.ok) throw new AppFailure(renewed.error, undefined, record.name)
    const status = renewed.value
    output.out(`Renewed "${shown(record.name)}": ${statusText(status, context.clock.now())}\n`)
  },

  export: async (context, command, { output }) => {
    const records = command.positionals.length === 0 ? context.repo.list() : command.positionals.map((name) => requireDatasource(context, name))
    output.out(exportFileText(records))
  },

  import: async (context, command, { output, secretSource }) => {
    const source = command.positionals[0]
    let text: string
    try {
      text = source === undefined || source === '-' ? await secretSource.readStdin() : await readFile(source, 'utf8')
    } catch {
      throw new UsageError(`The file ${source ?? '(stdin)'} could not be read.`)
    }
    // All or nothing (issue 11, item 11): the whole file is checked first, then secrets are asked
    // for, then everything is written in one transaction.
    const parsed = parseImportFile(text, (name) => context.findByName(name), {
      replace: command.values.replace === true,
      keepSecretsForNewOrigin: command.values['keep-secrets-for-new-origin'] === true,
    })
    if (!parsed.ok) throw new AppFailure(parsed.error)
    const inputs = await importSecrets(parsed.value, command.values, secretSource, output)
    const imported = unwrap(await context.service.importAll(inputs))
    const withoutSecrets = imported.filter((view) => view.auth.type === 'oauth2-password' && !view.auth.hasPassword).map((view) => view.name)
    output.out(
      `Imported ${imported.length} datasource${imported.length === 1 ? '' : 's'}.${
        withoutSecrets.length > 0
          ? ` Secrets are not part of an export: set them with "datasource-desk edit <name> --client-secret-prompt --password-prompt" (${withoutSecrets.map(shown).join(', ')}).`
          : ''
      }\n`,
    )
  },
}

/**
 * `import --prompt-secrets` in a terminal: after the whole file was checked, asks for the client
 * secret and password of each new datasource that uses them (Enter leaves one unset).
 */
async function importSecrets(inputs: DatasourceInput[], values: OptionValues, source: SecretSource, output: Output): Promise<DatasourceInput[]> {
  if (values['prompt-secrets'] !== true) return inputs
  if (!source.stdinIsTerminal) throw new UsageError('--prompt-secrets needs a terminal to ask on.')
  const result: DatasourceInput[] = []
  for (const input of inputs) {
    const auth = input.auth
    if (input.id !== undefined || auth.type !== 'oauth2-password') {
      result.push(input)
      continue
    }
    output.err(`Secrets for "${shown(input.name)}" (Enter to leave one unset):\n`)
    const clientSecret = auth.clientAuth === 'none' ? '' : await source.promptHidden('  Client secret: ')
    const password = await source.promptHidden('  Password: ')
    const checked = datasourceInputSchema.safeParse({
      ...input,
      auth: { ...auth, clientSecret: { action: 'set', value: clientSecret }, password: { action: 'set', value: password } },
    })
    if (!checked.success) {
      const error = validationError(checked.error)
      throw new AppFailure({ ...error, code: 'import-invalid', message: `The secrets for "${input.name}" are not valid; nothing was imported:` })
    }
    result.push(checked.data)
  }
  return result
}

/** --keep-secrets-for-new-origin: the user agrees to send the stored secrets to the new token URL's origin. */
function withConfirmedOrigin(input: DatasourceInput, values: OptionValues): DatasourceInput {
  return values['keep-secrets-for-new-origin'] === true ? confirmOrigin(input) : input
}

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new AppFailure(result.error)
  return result.value
}

function checkInput(input: DatasourceInput): void {
  const parsed = datasourceInputSchema.safeParse(input)
  if (!parsed.success) throw new AppFailure(validationError(parsed.error))
}

function requireDatasource(context: CliContext, name: string): DatasourceRecord {
  const record = context.findByName(name)
  if (!record) {
    // A near miss of a stored name is most likely a typo: name it, and the command with it.
    const suggestion = closest(name, context.repo.list().map((entry) => entry.name))
    const hint = suggestion ? `Did you mean "${suggestion}"? Run \`datasource-desk list\` to see the names.` : 'Run `datasource-desk list` to see the names.'
    throw new AppFailure(appError('not-found', 'datasource-not-found', `No datasource is named "${name}".`, { hint }))
  }
  return record
}

function requireOAuthDatasource(context: CliContext, name: string): DatasourceRecord {
  const record = requireDatasource(context, name)
  if (record.auth.type !== 'oauth2-password') {
    throw new AppFailure({ ...noOAuth(), hint: 'It has no token; set its authentication with "datasource-desk edit --auth oauth2-password ...".' })
  }
  return record
}

/**
 * A token the caller can use now: the stored one while it is fresh, otherwise renewed first
 * through the scheduler, so another process renewing the same token is waited for, not raced.
 */
async function validAccessToken(context: CliContext, name: string): Promise<string> {
  const record = requireOAuthDatasource(context, name)
  const stored = context.repo.token(record.id)
  if (!stored || !isFresh(stored, context.clock.now()) || !(await readAccessToken(context, record.id, false))) {
    const renewed = await context.service.renew(record.id)
    if (!renewed.ok) throw new AppFailure(renewed.error, undefined, record.name)
  }
  return (await readAccessToken(context, record.id, true))!
}

async function readAccessToken(context: CliContext, id: string, required: boolean): Promise<string | null> {
  let value: string | null
  try {
    value = (await context.service.readSecret(id, 'access-token'))?.reveal() ?? null
  } catch (error) {
    throw new AppFailure(keychainAppError(error))
  }
  if (!value && required) throw new AppFailure(missingSecretError('access-token'))
  // Never print a token that could inject a header or a terminal sequence (issue 11, item 4).
  if (value && !ACCESS_TOKEN_CHARS.test(value)) {
    if (!required) return null
    throw new AppFailure(
      appError('invalid-response', 'invalid-access-token', 'The stored access token holds characters a token may not hold (a line break, a space or a control character), so it is not printed.', {
        hint: 'Renew it with "datasource-desk renew <name>"; if the server issues such tokens again, ask its administrator.',
      }),
    )
  }
  return value || null
}

/** add and edit: Test connection first when the token depends on what changed, then Save with its token. */
/**
 * `add --issuer`: discovers the server, says what it advertises (stderr), and fills --token-url and
 * --client-auth when they were not given.
 */
async function withDiscovery(context: CliContext, values: OptionValues, output: Output): Promise<OptionValues> {
  const issuer = typeof values.issuer === 'string' ? values.issuer : undefined
  if (issuer === undefined) return values
  const found = await context.handlers.discoverIssuer({ issuer })
  if (!found.ok) throw new AppFailure(found.error, 'Discovery failed')
  const server = found.value
  for (const line of discoveryLines(server)) output.err(`${line}\n`)
  const current = typeof values['client-auth'] === 'string' ? (values['client-auth'] as ClientAuthMethod) : undefined
  return {
    ...values,
    'token-url': typeof values['token-url'] === 'string' ? values['token-url'] : server.tokenEndpoint,
    'client-auth': current ?? preferredClientAuth(server, presetOf(values)?.clientAuth ?? 'basic'),
  }
}

function discoveryLines(server: DiscoveredServer): string[] {
  const lines = [`Discovered ${shown(server.issuer)} (${server.source}):`, `  Token URL:        ${shown(server.tokenEndpoint)}`]
  if (server.grantTypes) lines.push(`  Grant types:      ${server.grantTypes.map(shown).join(', ')}`)
  if (server.clientAuthMethods) lines.push(`  Client auth:      ${server.clientAuthMethods.map(shown).join(', ')}`)
  lines.push(`  Revocation:       ${server.revocationEndpoint ? shown(server.revocationEndpoint) : 'not advertised'}`)
  lines.push(`  Introspection:    ${server.introspectionEndpoint ? shown(server.introspectionEndpoint) : 'not advertised'}`)
  if (offersPasswordGrant(server) === false) lines.push('warning: the server does not list the password grant; the token request will probably be refused (unsupported_grant_type).')
  return lines
}

/**
 * `--try-other-auth`: one attempt with each other client authentication method, to the same token
 * URL; says on stderr what each got, and returns the accepted one with its test (token kept for Save).
 */
async function tryOtherAuth(context: CliContext, input: DatasourceInput, output: Output): Promise<{ method: ClientAuthMethod; testId: string; report: TestReport } | null> {
  const testId = randomUUID()
  const result = await context.handlers.tryOtherClientAuth({ testId, input })
  if (!result.ok) throw new AppFailure(result.error, testFailureTitle(result.error), input.name)
  for (const attempt of result.value.attempts) {
    output.err(`Tried --client-auth ${attempt.method}: ${attempt.error ? shown(attempt.error.message) : 'accepted'}\n`)
  }
  const { accepted, report } = result.value
  return accepted && report ? { method: accepted, testId, report } : null
}

async function testAndSave(context: CliContext, input: DatasourceInput, values: OptionValues, output: Output, needsTest: boolean): Promise<DatasourceView> {
  let testId: string | undefined
  const auth = input.auth
  if (needsTest && values['no-test'] !== true && auth.type === 'oauth2-password') {
    testId = randomUUID()
    let tested = await context.handlers.testConnection({ testId, input })
    if (!tested.ok && values['try-other-auth'] === true && isClientAuthRefusal(tested.error)) {
      const found = await tryOtherAuth(context, input, output)
      if (found) {
        output.err(`The server accepts --client-auth ${found.method}; saving with it.\n`)
        input = { ...input, auth: { ...auth, clientAuth: found.method } }
        testId = found.testId
        tested = ok(found.report)
      }
    }
    if (!tested.ok) {
      const error = tested.error
      const hint = cliHint(error, input.name)
      throw new AppFailure(
        { ...error, cliHint: `${hint ? `${hint} ` : ''}Nothing was saved; to save without a token, add --no-test.` },
        testFailureTitle(error),
        input.name,
      )
    }
    const check = tested.value.apiCheck
    if (check) output.err(`API check: ${apiCheckLine(tested.value)}\n`)
    if (check?.retriedAfter401) output.err(`${shown(apiRetryText(check, 'cli'))}\n`)
  }
  return unwrap(await context.handlers.saveDatasource({ input, ...(testId ? { testId } : {}) }))
}

async function gatherSecrets(
  values: OptionValues,
  source: SecretSource,
  { promptByDefault, form }: { promptByDefault: boolean; form: DatasourceInput },
): Promise<SecretValues> {
  const usesSecrets = form.auth.type === 'oauth2-password'
  const hasClientSecret = form.auth.type === 'oauth2-password' && form.auth.clientAuth !== 'none'
  const fromStdin: SecretName[] = []
  if (values['client-secret-stdin'] === true) fromStdin.push('client secret')
  if (values['password-stdin'] === true) fromStdin.push('password')
  if (fromStdin.length > 0 && !usesSecrets) throw new UsageError('A datasource without authentication has no secrets to read.')
  const stdin = fromStdin.length > 0 ? await secretsFromStdin(source, fromStdin) : new Map<SecretName, string>()

  const wantsPrompt = (name: SecretName, flag: string, applies: boolean): boolean =>
    !stdin.has(name) && (values[flag] === true || (promptByDefault && applies && source.stdinIsTerminal))
  const prompts: Array<[SecretName, string]> = []
  if (wantsPrompt('client secret', 'client-secret-prompt', hasClientSecret)) prompts.push(['client secret', 'Client secret: '])
  if (wantsPrompt('password', 'password-prompt', usesSecrets)) prompts.push(['password', 'Password: '])
  if (prompts.length > 0 && !source.stdinIsTerminal) {
    throw new UsageError('There is no terminal to ask for a secret on: use --client-secret-stdin or --password-stdin.')
  }
  // `add` in a script: without a terminal nothing can be asked, so say how to pass what is missing.
  if (promptByDefault && !source.stdinIsTerminal && usesSecrets && values['no-test'] !== true) {
    const missing = [hasClientSecret && !stdin.has('client secret') ? '--client-secret-stdin' : null, !stdin.has('password') ? '--password-stdin' : null].filter(Boolean)
    // Only once the rest is right: a missing --token-url is the first thing to fix.
    const placeholder = { action: 'set' as const, value: 'x' }
    const restIsValid = form.auth.type === 'oauth2-password' && datasourceInputSchema.safeParse({ ...form, auth: { ...form.auth, clientSecret: placeholder, password: placeholder } }).success
    if (missing.length > 0 && restIsValid) {
      throw new UsageError(
        `No ${missing.length === 2 ? 'client secret and password' : missing[0] === '--password-stdin' ? 'password' : 'client secret'} given, and there is no terminal to ask on. Pass ${missing.length === 2 ? 'them' : 'it'} on stdin with ${missing.join(' ')}${missing.length === 2 ? ' (two lines: the client secret, then the password)' : ''}, e.g. printf '%s\\n' "$PASSWORD" | datasource-desk add ... --password-stdin.`,
      )
    }
  }
  for (const [name, question] of prompts) stdin.set(name, await source.promptHidden(question))
  return {
    ...(stdin.has('client secret') ? { clientSecret: stdin.get('client secret') } : {}),
    ...(stdin.has('password') ? { password: stdin.get('password') } : {}),
  }
}

/**
 * The status as SQLite holds it: the token's metadata and the renewal state the app (or an earlier
 * command) stored. A "renewing" state without a live lease is left over from a process that
 * stopped mid-request, so it reads as idle (the one policy, leftover-renewing.ts).
 */
function storedStatus(context: CliContext, id: string, now: number): TokenStatus {
  const saved = context.repo.renewalState(id)
  return {
    ...notConnected(id, now),
    token: context.repo.token(id),
    state: believedRenewalState(saved?.state, () => context.repo.lease(id), now),
    attempt: saved?.attempt ?? 0,
    lastError: saved?.lastError ?? null,
    nextAttemptAt: saved?.state === 'retrying' ? saved.nextAttemptAt : null,
    updatedAt: saved?.updatedAt ?? now,
  }
}

/** The one status mapping, as a command sees it: no scheduler here makes the next attempt. */
function storedView(record: DatasourceRecord, status: TokenStatus, now: number): StatusView {
  return statusView({ status, authenticated: record.auth.type !== 'none', viewer: 'command' }, now)
}

/** An older version could store an expiry of Infinity (a huge expires_in): `--json` must still work. */
const iso = (at: number | null | undefined): string | null =>
  at === null || at === undefined || !Number.isFinite(at) || Math.abs(at) > 8.64e15 ? null : new Date(at).toISOString()

/** What `list --json` and `status --json` print per datasource: configuration and status, no secret. */
function datasourceJson(context: CliContext, record: DatasourceRecord, now: number) {
  const status = storedStatus(context, record.id, now)
  const view = storedView(record, status, now)
  const token = status.token
  const error = status.lastError
  return {
    id: record.id,
    name: record.name,
    url: record.url,
    auth: record.auth,
    status: {
      // kind, text and state are what earlier versions printed; usability and renewal are the two dimensions.
      kind: view.legacyKind,
      text: shown(view.line),
      state: status.state,
      usability: { kind: view.usability.kind, text: view.usabilityText },
      renewal: {
        kind: view.renewal.kind,
        ...(view.renewal.kind === 'needs-user' ? { reason: view.renewal.reason } : {}),
        text: view.renewalText,
      },
      token: token
        ? {
            tokenType: token.tokenType,
            grantedScope: token.grantedScope,
            requestedScope: token.requestedScope,
            obtainedAt: iso(token.obtainedAt),
            expiresAt: iso(token.expiresAt),
            hasRefreshToken: token.hasRefreshToken,
            expiresFrom: token.expiresFrom ?? null,
            idToken: token.idToken ?? null,
          }
        : null,
      nextAttemptAt: iso(status.nextAttemptAt),
      lastError: error ? { kind: error.kind, code: error.code, message: error.message, ...(cliHint(error, record.name) ? { hint: cliHint(error, record.name) } : {}) } : null,
    },
  }
}

function statusDetails(context: CliContext, record: DatasourceRecord, now: number): string {
  const status = storedStatus(context, record.id, now)
  const view = storedView(record, status, now)
  const token = status.token
  const usable = view.usability.kind === 'valid' || view.usability.kind === 'expired' ? `${view.usabilityText} (${formatRelative(view.usability.expiresAt, now)})` : view.usabilityText
  const rows: Array<[string, string]> = [['Status', usable]]
  if (record.auth.type !== 'none') rows.push(['Renewal', capitalized(view.renewalText)])
  if (record.auth.type === 'oauth2-password') {
    rows.push(['Token URL', record.auth.tokenUrl], ['Client ID', record.auth.clientId], ['Username', record.auth.username])
    rows.push(['Client secret', record.auth.hasClientSecret ? 'stored' : 'none'], ['Password', record.auth.hasPassword ? 'stored' : 'not stored'])
  } else rows.push(['Authentication', 'None'])
  if (token) {
    rows.push(['Token', `${token.tokenType}, obtained ${formatClock(token.obtainedAt, now)}, ${expiryWithSource(token, now)}`])
    if (token.idToken && token.idToken !== 'none') rows.push(['ID token', idTokenLabels[token.idToken]])
    rows.push(['Granted scope', grantedScopeText(token)])
    if (view.refreshToken) rows.push(['Refresh token', refreshTokenLabels[view.refreshToken]])
  }
  if (status.lastError && status.state !== 'idle') {
    rows.push(['Last error', status.lastError.message])
    const hint = cliHint(status.lastError, record.name)
    if (hint) rows.push(['Hint', hint])
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  return `${shown(record.name)}\n${rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${shown(value)}`).join('\n')}\n`
}

function capitalized(text: string): string {
  return text ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text
}

function expiryWithSource(token: TokenMeta, now: number): string {
  const source = expirySourceText(token)
  return source && token.expiresAt !== null ? `${formatExpiry(token.expiresAt, now)} (${source})` : formatExpiry(token.expiresAt, now)
}

function apiCheckLine(report: TestReport): string {
  const check = report.apiCheck
  if (!check) return ''
  const outcome = check.error ? check.error.message : `${check.status ?? ''} ${check.statusText ?? ''}`.trim()
  return shown(`${check.method} ${check.url} → ${outcome}`)
}

/** Test connection's result panel, as text. */
function testReportText(report: TestReport, now: number): string {
  const token = report.token
  const lines: string[] = []
  if (token) {
    lines.push('Valid access token')
    lines.push(`  Expiry:         ${expiryWithSource(token, now)}`)
    lines.push(`  Token type:     ${token.tokenType}`)
    const granted = grantedScopeText(token)
    lines.push(`  Granted scope:  ${granted}${report.scopeDiffers ? ` (differs from the requested scope ${token.requestedScope || '(none)'})` : ''}`)
    lines.push(`  Refresh token:  ${token.hasRefreshToken ? 'Issued: renewal uses it first' : 'Not issued: renewal uses the password grant'}`)
    if (token.idToken && token.idToken !== 'none') lines.push(`  ID token:       ${idTokenLabels[token.idToken]}`)
  } else {
    const check = report.apiCheck
    const answered = !!check && !check.error && check.status !== undefined && check.status >= 200 && check.status < 300
    lines.push(answered ? 'The URL answers' : 'The URL did not answer as expected')
  }
  if (report.apiCheck) {
    lines.push(`  API check:      ${apiCheckLine(report)}`)
    if (report.apiCheck.retriedAfter401) lines.push(`                  ${apiRetryText(report.apiCheck, 'cli')}`)
    const hint = report.apiCheck.error ? cliHint(report.apiCheck.error) : undefined
    if (hint) lines.push(`                  ${hint}`)
  }
  return `${lines.map(shown).join('\n')}\n`
}
