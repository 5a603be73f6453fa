import { describe, expect, it } from 'vitest'
import { table } from '../../../electron/cli/output'

const header = ['NAME', 'TOKEN URL', 'STATUS']
const rows = [
  ['crm', 'https://login.example.com/realms/production/protocol/openid-connect/token', 'Valid'],
  ['billing (staging)', 'https://auth.example.com/oauth/token', 'Action needed'],
]

describe('CLI tables', () => {
  it('fit the terminal width by shortening the named columns first, and say so with …', () => {
    const text = table(header, rows, { width: 80, shrink: [1, 0] })
    const lines = text.trimEnd().split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    expect(lines[1]).toMatch(/^crm +https:\/\/login\.example\.com\/realms\/.*… +Valid$/)
    // The status column, the one a glance is for, is whole.
    expect(lines[2]?.endsWith('Action needed')).toBe(true)
  })

  it('leave a table that fits as it is', () => {
    const text = table(['A', 'B'], [['1', '2']], { width: 80, shrink: [0] })
    expect(text).toBe('A  B\n1  2\n')
  })

  it('are never shortened when not a terminal', () => {
    const text = table(header, rows)
    expect(text.split('\n')[1]).toMatch(/^crm +https:\/\/login\.example\.com\/realms\/production\/protocol\/openid-connect\/token +Valid$/)
  })
})
