/**
 * The command's exit codes, declared once: `--help`, the README table and the error paths all read
 * this map, so a script can tell "wrong password" from "server down" without parsing messages.
 */
import type { AppErrorKind } from '../../shared/errors'

export const EXIT_CODES = {
  success: 0,
  /** Anything not listed below: a damaged database, a renewal already running elsewhere, a bug. */
  failure: 1,
  usage: 2,
  authentication: 3,
  network: 4,
  invalidResponse: 5,
  keychain: 6,
  unknownDatasource: 7,
} as const

export type ExitCodeName = keyof typeof EXIT_CODES
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName]

/** One line per code, in the words of `--help` and the README. */
export const EXIT_CODE_DESCRIPTIONS: Readonly<Record<ExitCodeName, string>> = {
  success: 'success',
  failure: 'any other failure (damaged database, renewal busy in another process, internal error)',
  usage: 'usage error: unknown command or option, or input the app\'s form would reject',
  authentication: 'authentication error: the token endpoint answered with an OAuth error, or sign-in is needed',
  network: 'network error: the token endpoint could not be reached (DNS, refused, timeout, TLS)',
  invalidResponse: 'invalid server response: the answer is not a usable token response',
  keychain: 'keychain unavailable (or a stored secret is missing from it)',
  unknownDatasource: 'unknown datasource: no datasource has this name',
}

const BY_KIND: Readonly<Record<AppErrorKind, ExitCode>> = {
  validation: EXIT_CODES.usage,
  'insecure-url': EXIT_CODES.usage,
  conflict: EXIT_CODES.usage,
  oauth: EXIT_CODES.authentication,
  'sign-in-needed': EXIT_CODES.authentication,
  network: EXIT_CODES.network,
  'invalid-response': EXIT_CODES.invalidResponse,
  keychain: EXIT_CODES.keychain,
  'not-found': EXIT_CODES.unknownDatasource,
  cancelled: EXIT_CODES.failure,
  storage: EXIT_CODES.failure,
  internal: EXIT_CODES.failure,
}

export function exitCodeForKind(kind: AppErrorKind): ExitCode {
  return BY_KIND[kind]
}

/** The exit-code table as `--help` prints it. */
export function exitCodeTable(): string {
  return (Object.keys(EXIT_CODES) as ExitCodeName[]).map((name) => `  ${String(EXIT_CODES[name]).padStart(2)}  ${EXIT_CODE_DESCRIPTIONS[name]}`).join('\n')
}
