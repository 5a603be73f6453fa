/**
 * Runs a compiled core-child (see child-build.ts and core-child.ts) and follows what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface RunningChild {
  readonly process: ChildProcess
  /** Every line the child printed so far. */
  readonly lines: string[]
  /** Resolves with the first line for which `match` is true; rejects if the child exits first. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>
  /** Resolves once the child has exited (with its code or signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** What the child wrote to stderr (for failure messages). */
  stderr(): string
}

export function runChild(file: string, config: unknown, env: NodeJS.ProcessEnv = process.env): RunningChild {
  const child = spawn(process.execPath, [file], {
    env: { ...env, DSD_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const wake of waiters) wake()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal })
      for (const wake of waiters) wake()
    })
  })
  let hasExited = false
  void exited.then(() => (hasExited = true))

  function waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`child printed no matching line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
      const check = (): void => {
        const found = lines.find(match)
        if (found !== undefined) finish(null, found)
        else if (hasExited || child.exitCode !== null || child.signalCode !== null) finish(new Error(`child exited before the line; stderr: ${stderr}`))
      }
      function finish(error: Error | null, line?: string): void {
        clearTimeout(timer)
        waiters.delete(check)
        if (error) reject(error)
        else resolve(line as string)
      }
      waiters.add(check)
      check()
    })
  }

  return { process: child, lines, waitForLine, exited, stderr: () => stderr }
}
