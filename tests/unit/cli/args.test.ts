import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseCommandLine, UsageError } from '../../../electron/cli/args'
import { EXIT_CODE_DESCRIPTIONS, EXIT_CODES, exitCodeForKind } from '../../../electron/cli/exit-codes'
import { secretsFromStdin, type SecretSource } from '../../../electron/cli/secret-input'

function usageMessage(argv: string[]): string {
  try {
    parseCommandLine(argv)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('expected a usage error')
}

const stdin = (text: string, terminal = false): SecretSource => ({
  stdinIsTerminal: terminal,
  readStdin: async () => text,
  promptHidden: async () => {
    throw new Error('no prompt in this test')
  },
  confirm: async () => false,
})

describe('command line parsing', () => {
  it('parses a command, its positionals and options', () => {
    const parsed = parseCommandLine(['add', 'crm', '--token-url', 'https://a.example/token', '--param', 'a=1', '--param', 'b=2', '--data-dir', '/d'])
    expect(parsed).toMatchObject({ kind: 'command', command: { name: 'add' }, positionals: ['crm'], values: { 'token-url': 'https://a.example/token', param: ['a=1', 'b=2'], 'data-dir': '/d' } })
    expect(parseCommandLine(['token', 'crm', '--help'])).toMatchObject({ kind: 'help', command: { name: 'token' } })
    expect(parseCommandLine([])).toEqual({ kind: 'help' })
  })

  it('refuses a secret on the command line without repeating it', () => {
    for (const argv of [
      ['add', 'x', '--password', 's3cr3t-value'],
      ['add', 'x', '--password=s3cr3t-value'],
      ['edit', 'x', '--client-secret=s3cr3t-value'],
      ['token', 'x', 's3cr3t-value'],
      ['s3cr3t-value!'],
    ]) {
      expect(usageMessage(argv)).not.toContain('s3cr3t-value')
    }
    expect(usageMessage(['add', 'x', '--password=abc'])).toContain('--password-stdin')
    expect(usageMessage(['add', 'x', '--client-secret', 'abc'])).toContain('--client-secret-stdin')
  })
})

describe('secrets on stdin', () => {
  it('reads one line per secret: the client secret first, then the password', async () => {
    const values = await secretsFromStdin(stdin('cs with spaces = + /\r\npass word\n'), ['client secret', 'password'])
    expect(values.get('client secret')).toBe('cs with spaces = + /')
    expect(values.get('password')).toBe('pass word')
    expect((await secretsFromStdin(stdin('only-line'), ['password'])).get('password')).toBe('only-line')
  })

  it('refuses a terminal and a short stdin', async () => {
    await expect(secretsFromStdin(stdin('x\n', true), ['password'])).rejects.toThrow(UsageError)
    await expect(secretsFromStdin(stdin('one\n'), ['client secret', 'password'])).rejects.toThrow('stdin ended before the password')
    await expect(secretsFromStdin(stdin(''), ['password'])).rejects.toThrow(UsageError)
  })
})

describe('exit codes', () => {
  it('are distinct, map every error kind, and are the ones the README documents', () => {
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length)
    expect(exitCodeForKind('oauth')).toBe(EXIT_CODES.authentication)
    expect(exitCodeForKind('network')).toBe(EXIT_CODES.network)
    expect(exitCodeForKind('invalid-response')).toBe(EXIT_CODES.invalidResponse)
    expect(exitCodeForKind('keychain')).toBe(EXIT_CODES.keychain)
    expect(exitCodeForKind('not-found')).toBe(EXIT_CODES.unknownDatasource)
    expect(exitCodeForKind('validation')).toBe(EXIT_CODES.usage)
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    for (const [name, code] of Object.entries(EXIT_CODES)) {
      expect(readme).toContain(`| ${code} | ${EXIT_CODE_DESCRIPTIONS[name as keyof typeof EXIT_CODES]} |`)
    }
  })
})
