import { describe, expect, it } from 'vitest'
import { cliHint, formatError, table } from '../../../electron/cli/output'
import { validationError } from '../../../electron/core/handlers'
import { oauthError } from '../../../electron/core/oauth/token-errors'
import { datasourceInputSchema } from '../../../shared/datasource'

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

describe('core messages in terminal words', () => {
  it('a schema error names the option and says to run the command again, never "the form" or "marked fields"', () => {
    const parsed = datasourceInputSchema.safeParse({ name: 'crm', url: '', auth: { type: 'oauth2-password', tokenUrl: 'not a url', clientId: 'desk', clientSecret: { action: 'set', value: '' }, clientAuth: 'none', username: 'ana', password: { action: 'set', value: '' }, rememberPassword: true, scope: '', extraParams: [] } })
    if (parsed.success) throw new Error('accepted')
    const text = formatError(validationError(parsed.error))
    expect(text).toMatch(/^datasource-desk: This value is not valid:\n {2}--token-url: Enter a full URL/)
    expect(text).toContain('hint: Correct the values named above and run the command again.')
    expect(text).not.toMatch(/form|marked/i)
  })

  it('a refused refresh token names the command that stores the password again', () => {
    const error = oauthError({ error: 'invalid_grant' }, 400, { host: 'login.example.com', grant: 'refresh_token', clientAuth: 'basic' })
    expect(cliHint(error, 'crm (eu)')).toBe(`Enter the password again to get a new token: run "datasource-desk edit 'crm (eu)' --password-prompt" (or --password-stdin).`)
    expect(error.hint).toBe('Sign in again with the password to get a new token.')
  })
})
