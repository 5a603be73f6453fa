/**
 * Runs the built `datasource-desk` command (out/cli/index.cjs) as a child process, the way a
 * script would. `npm test` runs the unit and integration tests before `npm run build`, so
 * ensureCliBuilt() builds the command itself when out/cli is missing or older than its sources;
 * test files run in parallel, so one build at a time is taken through a lock directory.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const cliEntry = join(repoRoot, 'out', 'cli', 'index.cjs')

const SOURCES = ['electron/cli', 'electron/core', 'shared', 'cli.vite.config.ts', 'package.json']
const LOCK = join(repoRoot, 'out', '.cli-build-lock')
const STALE_LOCK_MS = 120_000

function newestSourceTime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newestSourceTime(join(path, name))))
}

function isStale(): boolean {
  if (!existsSync(cliEntry)) return true
  const built = statSync(cliEntry).mtimeMs
  return SOURCES.some((source) => newestSourceTime(join(repoRoot, source)) > built)
}

/** Builds out/cli with `vite build -c cli.vite.config.ts` unless it is up to date. */
export async function ensureCliBuilt(): Promise<void> {
  const deadline = Date.now() + STALE_LOCK_MS
  for (;;) {
    if (!isStale()) return
    mkdirSync(dirname(LOCK), { recursive: true })
    try {
      mkdirSync(LOCK)
    } catch {
      // Another test file is building; a lock left by a killed run is taken over after a while.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('Timed out waiting for another build of out/cli')
      await sleep(250)
      continue
    }
    try {
      if (!isStale()) return
      const vite = join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js')
      const result = spawnSync(process.execPath, [vite, 'build', '-c', 'cli.vite.config.ts'], { cwd: repoRoot, encoding: 'utf8' })
      if (result.status !== 0) throw new Error(`vite build of the CLI failed:\n${result.stdout}\n${result.stderr}`)
      return
    } finally {
      rmSync(LOCK, { recursive: true, force: true })
    }
  }
}

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly args: ReadonlyArray<string>
}

export interface CliRunOptions {
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  readonly input?: string
  readonly env?: NodeJS.ProcessEnv
  /** Called once the process is spawned (to coordinate with it). */
  readonly onSpawn?: () => void
}

/**
 * Runs `node out/cli/index.cjs ...args` asynchronously: the OAuth server the command talks to runs
 * in this very process, so a synchronous spawn would leave it unable to answer.
 */
export function runCli(args: ReadonlyArray<string>, options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolvePromise({ code, stdout, stderr, args }))
    child.stdin.end(options.input ?? '')
    options.onSpawn?.()
  })
}
