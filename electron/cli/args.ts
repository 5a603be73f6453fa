/**
 * The command line grammar: every command, its options and positionals, parsed with Node's own
 * parseArgs so that the `token` fast path loads nothing else. A parse error never repeats an
 * argument's value: someone may have typed a secret where it does not belong.
 */
import { closest, didYouMean } from './suggest'
import { parseArgs } from 'node:util'

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }

export interface CommandSpec {
  readonly name: string
  readonly args: string
  readonly summary: string
  readonly options: Readonly<Record<string, OptionSpec>>
  readonly minPositionals: number
  readonly maxPositionals: number
}

const GLOBAL_OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>

/** The datasource fields, as in the app's form; secrets have flags that say where they come from. */
const FIELD_OPTIONS = {
  url: { type: 'string' },
  auth: { type: 'string' },
  'token-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-auth': { type: 'string' },
  username: { type: 'string' },
  scope: { type: 'string' },
  param: { type: 'string', multiple: true },
  'client-secret-stdin': { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  'client-secret-prompt': { type: 'boolean' },
  'password-prompt': { type: 'boolean' },
  'no-test': { type: 'boolean' },
  'keep-secrets-for-new-origin': { type: 'boolean' },
  'try-other-auth': { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>

/** Only for add: where the form's values come from. */
const ADD_OPTIONS = {
  issuer: { type: 'string' },
  preset: { type: 'string' },
} as const satisfies Record<string, OptionSpec>

const json = { json: { type: 'boolean' } } as const satisfies Record<string, OptionSpec>

export const COMMANDS: ReadonlyArray<CommandSpec> = [
  { name: 'list', args: '', summary: 'List datasources with their authentication and token status.', options: json, minPositionals: 0, maxPositionals: 0 },
  { name: 'status', args: '[name]', summary: 'Token status of every datasource, or details of one.', options: json, minPositionals: 0, maxPositionals: 1 },
  {
    name: 'add',
    args: '<name>',
    summary: 'Add a datasource; tests the connection and keeps its token (unless --no-test).',
    options: { ...FIELD_OPTIONS, ...ADD_OPTIONS, 'no-remember-password': { type: 'boolean' } },
    minPositionals: 1,
    maxPositionals: 1,
  },
  {
    name: 'edit',
    args: '<name>',
    summary: 'Change a datasource; only the options given change.',
    options: {
      ...FIELD_OPTIONS,
      name: { type: 'string' },
      'clear-params': { type: 'boolean' },
      'remember-password': { type: 'boolean' },
      'no-remember-password': { type: 'boolean' },
    },
    minPositionals: 1,
    maxPositionals: 1,
  },
  { name: 'remove', args: '<name>', summary: 'Remove a datasource and its keychain entries.', options: { yes: { type: 'boolean', short: 'y' } }, minPositionals: 1, maxPositionals: 1 },
  {
    name: 'test',
    args: '<name>',
    summary: "Test the connection, as the app's Test connection does.",
    options: { 'try-other-auth': { type: 'boolean' } },
    minPositionals: 1,
    maxPositionals: 1,
  },
  { name: 'token', args: '<name>', summary: 'Print a valid access token (renewing it first only when due).', options: {}, minPositionals: 1, maxPositionals: 1 },
  { name: 'header', args: '<name>', summary: 'Print "Authorization: Bearer <token>".', options: {}, minPositionals: 1, maxPositionals: 1 },
  { name: 'introspect', args: '<name>', summary: 'Ask the server about the stored token (RFC 7662 introspection, where it offers it).', options: json, minPositionals: 1, maxPositionals: 1 },
  { name: 'renew', args: '<name>', summary: 'Renew the token now (refresh token first, then the stored password).', options: {}, minPositionals: 1, maxPositionals: 1 },
  { name: 'export', args: '[name...]', summary: 'Print datasource configurations as JSON (never secrets).', options: {}, minPositionals: 0, maxPositionals: Infinity },
  {
    name: 'import',
    args: '[file]',
    summary: 'Add datasources from an export (a file, or stdin when no file or "-" is given); all or nothing.',
    options: { replace: { type: 'boolean' }, 'keep-secrets-for-new-origin': { type: 'boolean' }, 'prompt-secrets': { type: 'boolean' } },
    minPositionals: 0,
    maxPositionals: 1,
  },
]

export type OptionValues = Readonly<Record<string, string | boolean | ReadonlyArray<string> | undefined>>

export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly command?: CommandSpec }
  | { readonly kind: 'version' }
  | { readonly kind: 'command'; readonly command: CommandSpec; readonly positionals: ReadonlyArray<string>; readonly values: OptionValues }

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Option names that look like an attempt to pass a secret on the command line. */
const SECRET_OPTION = /^--?(password|client-secret|secret|token|access-token|refresh-token)$/i

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name)
}

export function usageLine(command: CommandSpec): string {
  return `datasource-desk ${command.name}${command.args ? ` ${command.args}` : ''} [options]`
}

export function parseCommandLine(argv: ReadonlyArray<string>): ParsedCommandLine {
  const first = argv[0]
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' && argv[1] ? findCommand(argv[1]) : undefined
    return topic ? { kind: 'help', command: topic } : { kind: 'help' }
  }
  if (first === '--version' || first === '-V') return { kind: 'version' }
  const command = findCommand(first)
  if (!command) {
    // The unknown word is echoed only when it looks like a command name, never a secret-looking blob.
    const shown = /^[a-z][a-z-]{0,20}$/.test(first) ? ` "${first}"` : ''
    const hint = shown ? didYouMean(first, COMMANDS.map((spec) => spec.name)) : ''
    throw new UsageError(`Unknown command${shown}.${hint} Run "datasource-desk --help" for the list of commands.`)
  }
  const rest = argv.slice(1)
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...command.options }, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError(describeParseError(error, rest, Object.keys({ ...GLOBAL_OPTIONS, ...command.options })), command)
  }
  if (parsed.values.help === true) return { kind: 'help', command }
  const count = parsed.positionals.length
  if (count < command.minPositionals) throw new UsageError(`Missing argument. Usage: ${usageLine(command)}`, command)
  if (count > command.maxPositionals) throw new UsageError(`Too many arguments. Usage: ${usageLine(command)}`, command)
  return { kind: 'command', command, positionals: parsed.positionals, values: parsed.values as OptionValues }
}

function describeParseError(error: unknown, args: ReadonlyArray<string>, known: ReadonlyArray<string>): string {
  const code = (error as { code?: string }).code
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = args.map((arg) => arg.split('=')[0] ?? '').find((name) => name.startsWith('-') && SECRET_OPTION.test(name))
    if (!option) {
      // The first unknown option, named as typed; only option-shaped words are echoed, never values.
      const unknown = args
        .map((arg) => arg.split('=')[0] ?? '')
        .find((name) => /^--[a-z][a-z-]{0,40}$/.test(name) && !known.includes(name.slice(2)))
      const suggestion = unknown ? closest(unknown.slice(2), known) : undefined
      if (unknown && suggestion) return `Unknown option ${unknown}. Did you mean --${suggestion}?`
    }
    if (option) {
      return `Secrets are never taken from command-line arguments (they end up in shell history and process lists). Use --${option.replace(/^-+/, '').toLowerCase()}-stdin, or run in a terminal to be asked for it.`.replace(
        /--(secret|token|access-token|refresh-token)-stdin/,
        '--client-secret-stdin or --password-stdin',
      )
    }
  }
  // Node's parseArgs messages name the option, never its value.
  return error instanceof Error ? `${error.message.split('\n')[0]}.`.replace(/\.\.$/, '.') : 'Invalid arguments.'
}
