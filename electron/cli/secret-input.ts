/**
 * Where secrets come from: never argv (shell history, process lists), only a hidden prompt on a
 * terminal or stdin with an explicit flag. With both --client-secret-stdin and --password-stdin,
 * stdin holds one secret per line: the client secret on the first line, the password on the second.
 */
import { createInterface } from 'node:readline'
import { UsageError } from './args'

export type SecretName = 'client secret' | 'password'

export class PromptCancelled extends Error {
  constructor() {
    super('Cancelled.')
    this.name = 'PromptCancelled'
  }
}

export interface SecretSource {
  readonly stdinIsTerminal: boolean
  readStdin(): Promise<string>
  promptHidden(question: string): Promise<string>
  confirm(question: string): Promise<boolean>
}

export const processSecretSource: SecretSource = {
  get stdinIsTerminal() {
    return process.stdin.isTTY === true
  },
  readStdin,
  promptHidden,
  confirm,
}

/**
 * Reads the requested secrets from stdin, one line each in the order client secret, password.
 * A line ends at \n or \r\n; everything else on it (spaces included) is part of the secret.
 */
export async function secretsFromStdin(source: SecretSource, wanted: ReadonlyArray<SecretName>): Promise<Map<SecretName, string>> {
  if (source.stdinIsTerminal) {
    throw new UsageError('--client-secret-stdin and --password-stdin read from a pipe or file, not a terminal (the secret would show as you type). Leave them out to be asked instead.')
  }
  const lines = (await source.readStdin()).split(/\r?\n/)
  const values = new Map<SecretName, string>()
  wanted.forEach((name, index) => {
    const line = lines[index]
    if (line === undefined || (line === '' && index === lines.length - 1)) {
      throw new UsageError(`stdin ended before the ${name} (expected ${wanted.length === 2 ? 'two lines: the client secret, then the password' : 'one line'}).`)
    }
    values.set(name, line)
  })
  return values
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** Asks on the terminal without echoing what is typed; the question goes to stderr, not stdout. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin
  const output = process.stderr
  return new Promise((resolve, reject) => {
    let value = ''
    let escape = false
    const finish = (settle: () => void) => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      output.write('\n')
      settle()
    }
    const onData = (chunk: string) => {
      for (const char of chunk) {
        // Skip terminal escape sequences (arrow keys, bracketed paste markers) instead of storing them.
        if (escape) {
          if (/[@-~]/.test(char) && char !== '[') escape = false
          continue
        }
        if (char === '\u001b') escape = true
        else if (char === '\r' || char === '\n') return finish(() => resolve(value))
        else if (char === '\u0003' || (char === '\u0004' && value === '')) return finish(() => reject(new PromptCancelled()))
        else if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (char >= ' ') value += char
      }
    }
    output.write(question)
    input.setEncoding('utf8')
    input.setRawMode(true)
    input.on('data', onData)
    input.resume()
  })
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
