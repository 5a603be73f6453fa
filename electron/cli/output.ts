/**
 * What the command prints: errors (stderr, in the app's words), status lines and tables. Light on
 * purpose (no zod, no OAuth client): the `token` fast path uses it to report a keychain failure.
 */
import { testFailureTitle, type AppError, type FieldIssue } from '../../shared/errors'
import type { TokenStatus } from '../../shared/token'
import { statusView } from '../../shared/token-status'
import { showUntrusted } from '../../shared/untrusted-text'

/**
 * Anything printed that was not written by this program (a server's text, a name from an
 * imported file, a database written by an older version) goes through this: no escape sequence,
 * bidi override or line break reaches the terminal (issue 11, item 4).
 */
export const shown = (text: string): string => showUntrusted(text, 4096)

export interface Output {
  out(text: string): void
  err(text: string): void
  /** The terminal's width when stdout is a terminal; undefined for a pipe or a file (scripts). */
  readonly columns?: number | undefined
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined
  },
}

/** Form paths in validation errors, named the way the command line spells them. */
const FIELD_FLAGS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^name$/, 'name'],
  [/^url$/, '--url'],
  [/^auth\.type$/, '--auth'],
  [/^auth\.tokenUrl$/, '--token-url'],
  [/^auth\.clientId$/, '--client-id'],
  [/^auth\.clientAuth$/, '--client-auth'],
  [/^auth\.username$/, '--username'],
  [/^auth\.scope$/, '--scope'],
  [/^auth\.extraParams(\.|$)/, '--param'],
  [/^auth\.clientSecret(\.|$)/, 'client secret'],
  [/^auth\.password(\.|$)/, 'password'],
]

export function fieldLabel(path: string): string {
  return FIELD_FLAGS.find(([pattern]) => pattern.test(path))?.[1] ?? path
}

/**
 * An error as the app shows it: the message, then the hint, then the server's OAuth error code
 * and description. Messages and hints come from the core, which never puts a secret in them.
 */
export function formatError(error: AppError, title?: string, datasourceName?: string): string {
  const message = cliMessage(error)
  // The app's heading for a refused form speaks of fields; a command has values.
  const heading = title === VALIDATION_TITLE ? 'Some values need attention' : title
  const lines = [heading ? `datasource-desk: ${heading}: ${shown(message)}` : `datasource-desk: ${shown(message)}`]
  for (const issue of error.fieldIssues ?? ([] as ReadonlyArray<FieldIssue>)) lines.push(`  ${shown(fieldLabel(issue.path))}: ${shown(issue.message)}`)
  const hint = cliHint(error, datasourceName)
  if (hint) lines.push(`hint: ${shown(hint)}`)
  if (error.kind === 'oauth') lines.push(`OAuth error: ${shown(error.code)}`)
  if (error.errorDescription) lines.push(`Server description: ${shown(error.errorDescription)}`)
  return `${lines.join('\n')}\n`
}

const VALIDATION_TITLE = testFailureTitle({ kind: 'validation', code: 'invalid-input', message: '' })

/**
 * The message in terminal words: the core's schema errors read "Check the form: ..." in the app;
 * here the values are named on the lines below, by option.
 */
export function cliMessage(error: AppError): string {
  if (error.code !== 'invalid-input' || !error.fieldIssues?.length) return error.message
  return error.fieldIssues.length === 1 ? 'This value is not valid:' : 'These values are not valid:'
}

/**
 * The hint worded for the command line (option values, commands) when the core has one, with the
 * datasource's name filled in for `<name>`; otherwise the app's hint.
 */
export function cliHint(error: AppError, datasourceName?: string): string | undefined {
  const hint = error.cliHint ?? error.hint
  if (!hint || datasourceName === undefined) return hint
  return hint.split('<name>').join(shellWord(datasourceName))
}

/** A name as a shell word: as it is when it is plain, single-quoted otherwise. */
export function shellWord(name: string): string {
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`
}

/**
 * The status in both dimensions, as a command sees it: "Valid until 14:32 - renews from 14:20 on
 * the next `datasource-desk token` or when the app runs". A command runs no scheduler, so it says
 * what will happen instead of a next-attempt time nobody keeps.
 */
export function statusText(status: TokenStatus, now: number, authenticated = true): string {
  return shown(statusView({ status, authenticated, viewer: 'command' }, now).line)
}

export interface TableOptions {
  /** The terminal's width: columns are shortened (with "…") to fit it. Undefined: not a terminal. */
  readonly width?: number | undefined
  /** Columns that may be shortened, the first given shortened first. Default: none. */
  readonly shrink?: ReadonlyArray<number>
}

/** Narrowest a shortened column gets: below this it says nothing. */
const MIN_COLUMN = 8
const GAP = 2

function clipCell(cell: string, width: number): string {
  return cell.length <= width ? cell : `${cell.slice(0, Math.max(0, width - 1))}…`
}

/**
 * Left-aligned columns two spaces apart. In a terminal they are shortened (with "…") to fit its
 * width; elsewhere (a pipe, a file) nothing is cut, so a script reads every value whole (for
 * structured output there is --json).
 */
export function table(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, options: TableOptions = {}): string {
  const all = [header, ...rows.map((row) => row.map(shown))]
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)))
  const total = () => widths.reduce((sum, width) => sum + width, 0) + GAP * (widths.length - 1)
  for (const column of options.width === undefined ? [] : (options.shrink ?? [])) {
    const over = total() - (options.width ?? 0)
    if (over <= 0) break
    const current = widths[column] ?? 0
    widths[column] = Math.max(Math.min(current, MIN_COLUMN), current - over)
  }
  return (
    all
      .map((row) =>
        row
          .map((cell, column) => {
            const clipped = clipCell(cell, widths[column] ?? cell.length)
            return column === row.length - 1 ? clipped : clipped.padEnd(widths[column] ?? 0)
          })
          .join(' '.repeat(GAP))
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}
