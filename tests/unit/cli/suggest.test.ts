import { describe, expect, it } from 'vitest'
import { parseCommandLine, UsageError } from '../../../electron/cli/args'
import { closest, editDistance } from '../../../electron/cli/suggest'

const usageMessage = (argv: string[]): string => {
  try {
    parseCommandLine(argv)
  } catch (error) {
    if (error instanceof UsageError) return error.message
  }
  return ''
}

describe('did you mean', () => {
  it('suggests the command a typo was meant to be, and nothing for a word far from all of them', () => {
    expect(usageMessage(['lsit'])).toContain('Did you mean "list"?')
    expect(usageMessage(['tokn', 'crm'])).toContain('Did you mean "token"?')
    expect(usageMessage(['frobnicate'])).not.toContain('Did you mean')
  })

  it('suggests the option a typo was meant to be', () => {
    expect(usageMessage(['list', '--jsno'])).toBe('Unknown option --jsno. Did you mean --json?')
    expect(usageMessage(['add', 'crm', '--token-ulr', 'https://a.example/t'])).toContain('Did you mean --token-url?')
  })

  it('still refuses secrets on the command line instead of suggesting', () => {
    expect(usageMessage(['add', 'crm', '--password', 'x'])).toMatch(/never taken from command-line arguments/)
  })

  it('finds close datasource names, case-insensitively, and stops at three edits', () => {
    expect(closest('crn', ['CRM', 'Billing'])).toBe('CRM')
    expect(closest('billing-stag', ['billing-staging', 'billing-production'])).toBe('billing-staging')
    expect(closest('warehouse', ['CRM'])).toBeUndefined()
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})
