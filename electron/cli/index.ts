#!/usr/bin/env node
/**
 * `datasource-desk`: the app's datasources and tokens for scripts (issue 6). Plain Node, never
 * Electron. This entry stays small: `token` and `header` with a fresh cached token are answered by
 * the fast path, a due one by renewal without the schemas (due-token.ts); everything else loads the
 * full core on demand.
 */
import { homedir } from 'node:os'
import { keychainServiceName, resolveDataDir } from '../core/locations'
import { parseCommandLine, UsageError, type ParsedCommandLine } from './args'
import { abandonedKeychainCalls } from '../core/secrets/abandoned-calls'
import { cacheCompiledCode } from './compile-cache'
import { EXIT_CODES, exitCodeForKind, type ExitCode } from './exit-codes'
import { formatError, processOutput } from './output'

/** Runs one command line; resolves to the exit code. */
async function main(argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const output = processOutput
  let parsed: ParsedCommandLine
  try {
    parsed = parseCommandLine(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    output.err(`datasource-desk: ${error.message}\n`)
    return EXIT_CODES.usage
  }
  if (parsed.kind === 'version') {
    output.out(`${VERSION}\n`)
    return EXIT_CODES.success
  }
  if (parsed.kind === 'help') {
    const { commandHelp, generalHelp } = await import('./help')
    output.out(parsed.command ? commandHelp(parsed.command) : generalHelp())
    return EXIT_CODES.success
  }

  const dataDirOption = parsed.values['data-dir']
  const dataDir = resolveDataDir(typeof dataDirOption === 'string' ? dataDirOption : undefined, process.platform, env, homedir())
  const keychainService = keychainServiceName(env)
  const name = parsed.command.name
  // Before the chunks below load: their compiled code comes from, and goes to, the cache.
  cacheCompiledCode(dataDir)
  if (name === 'token' || name === 'header') {
    const { readCachedToken } = await import('./fast-token')
    const request = { dataDir, keychainService, name: parsed.positionals[0]!, now: Date.now() }
    let cached = await readCachedToken(request)
    if (cached.kind === 'full-path') cached = await (await import('./due-token')).readRenewedToken(request)
    if (cached.kind === 'token') {
      output.out(name === 'token' ? `${cached.accessToken}\n` : `Authorization: Bearer ${cached.accessToken}\n`)
      return EXIT_CODES.success
    }
    if (cached.kind === 'error') {
      output.err(formatError(cached.error))
      return exitCodeForKind(cached.error.kind)
    }
  }
  const [{ runCommand }, { processSecretSource }] = await Promise.all([import('./commands'), import('./secret-input')])
  return runCommand(parsed, { dataDir, keychainService, output, secretSource: processSecretSource })
}

/** Replaced at build time with package.json's version. */
declare const __DATASOURCE_DESK_VERSION__: string
const VERSION = typeof __DATASOURCE_DESK_VERSION__ === 'string' ? __DATASOURCE_DESK_VERSION__ : 'development'

/**
 * Exits once the output is written. The exit is forced shortly after, in case a keychain call that
 * timed out still holds a worker thread: a script waiting on us must not hang with it. Node's exit
 * (process.exit too) joins every thread-pool thread, so while a native keychain call is stuck on
 * one (a Secret Service that never answers: D-Bus gives up after 25 s per call), the process leaves
 * by replacing itself with a shell that exits with our code: execve ends the other threads at once.
 * Our output is already written (stdout and stderr are synchronous on Linux).
 */
function exitWith(code: number): void {
  process.exitCode = code
  if (abandonedKeychainCalls() > 0) exitPastStuckThreads(code)
  setTimeout(() => process.exit(code), 500).unref()
}

function exitPastStuckThreads(code: number): void {
  // Node >= 22.15 and not on Windows (where keytar's calls do not hang this way).
  if (typeof process.execve !== 'function' || process.platform === 'win32') return
  try {
    process.execve('/bin/sh', ['sh', '-c', `exit ${code}`], {})
  } catch {
    // No /bin/sh: the ordinary exit below, late but with the right code.
  }
}

main(process.argv.slice(2)).then(exitWith, (error: unknown) => {
  // Only the class name: a message could quote an argument, and arguments are not trusted.
  process.stderr.write(`datasource-desk: Something went wrong inside Datasource Desk (${error instanceof Error ? error.name : typeof error}).\n`)
  exitWith(EXIT_CODES.failure)
})
