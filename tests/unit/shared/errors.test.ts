/**
 * Issue 12, the error catalogue: `code` is typed per kind (the @ts-expect-error lines fail
 * `npm run typecheck` if a wrong pair compiles), sign-in-needed is a kind of its own, and one
 * exception class carries an AppError across code that cannot return a Result. A row stored with
 * the earlier sign-in shape (kind 'oauth', code 'sign-in-needed') reads as the new kind.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppFailure, appError, serverErrorCode, signInNeeded, testFailureTitle, type AppError } from '../../../shared/errors'
import { statusView } from '../../../shared/token-status'
import { notConnected } from '../../../shared/token'
import { DATABASE_FILE } from '../../../electron/core/core'
import { openDatabase, type Db } from '../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../electron/core/db/datasource-repository'
import { exitCodeForKind, EXIT_CODES } from '../../../electron/cli/exit-codes'
import { makeTempDir } from '../../support/temp-dir'
import { asDatasourceId } from '../../../shared/ids'

describe('codes typed per kind', () => {
  it('accepts a kind with its own codes, and a server-chosen OAuth code only when marked as such', () => {
    const timeout = appError('network', 'timeout', 'No answer.')
    const refused = appError('oauth', 'invalid_grant', 'Refused.')
    const fromServer = appError('oauth', serverErrorCode('temporarily_unavailable'), 'Busy.')
    // @ts-expect-error a network code is not an OAuth code
    appError('oauth', 'timeout', 'No answer.')
    // @ts-expect-error an OAuth code is not a network code
    appError('network', 'invalid_grant', 'Refused.')
    // @ts-expect-error an unknown code for a known kind
    appError('keychain', 'kaputt', 'Broken.')
    // @ts-expect-error a server's text must be marked (cleaned) before it is a code
    appError('oauth', String('whatever_the_server_said'), 'Refused.')
    expect([timeout.code, refused.code, fromServer.code]).toEqual(['timeout', 'invalid_grant', 'temporarily_unavailable'])
  })

  it('narrows the code with the kind', () => {
    const error: AppError = appError('keychain', 'locked', 'Locked.')
    if (error.kind === 'keychain') {
      const code: 'unavailable' | 'timeout' | 'locked' | 'failed' | 'secret-missing' | 'secrets-left' = error.code
      expect(code).toBe('locked')
    }
  })
})

describe('sign-in needed is a kind', () => {
  it('says whether a refresh token was refused, in the same words as before, for the app and the command line', () => {
    const none = signInNeeded(null)
    expect(none).toMatchObject({ kind: 'sign-in-needed', code: 'no-password', message: 'No password is stored for automatic renewal.' })
    const refused = signInNeeded(appError('oauth', 'invalid_grant', 'Refused.'))
    expect(refused).toMatchObject({
      kind: 'sign-in-needed',
      code: 'refresh-token-rejected',
      message: 'The refresh token is no longer accepted (invalid_grant), and no password is stored.',
    })
    expect(refused.hint).toContain('use Sign in')
    expect(refused.cliHint).toContain('datasource-desk edit <name> --password-prompt')
    expect(refused.transient).toBeUndefined()
  })

  it('maps to the sign-in reason of the status, the authentication exit code and the OAuth refusal title', () => {
    const now = Date.now()
    const status = { ...notConnected('a', now), state: 'sign-in-needed' as const, lastError: signInNeeded(null) }
    expect(statusView({ status, authenticated: true, viewer: 'scheduler' }, now).renewal).toMatchObject({ kind: 'needs-user', reason: 'sign-in' })
    expect(exitCodeForKind('sign-in-needed')).toBe(EXIT_CODES.authentication)
    expect(testFailureTitle(signInNeeded(null))).toBe('The server refused the token request')
  })
})

describe('AppFailure', () => {
  it('is the one thrown carrier: an Error whose message is the AppError message, holding the AppError itself', () => {
    const error = appError('keychain', 'secret-missing', 'The stored password is missing from the OS keychain.')
    const thrown = new AppFailure(error, 'A title', 'CRM')
    expect(thrown).toBeInstanceOf(Error)
    expect(thrown.name).toBe('AppFailure')
    expect(thrown.message).toBe(error.message)
    expect(thrown.error).toBe(error)
    expect([thrown.title, thrown.datasourceName]).toEqual(['A title', 'CRM'])
  })
})

describe('a stored sign-in error from before the kind existed', () => {
  let temp: ReturnType<typeof makeTempDir>
  let db: Db
  beforeEach(() => {
    temp = makeTempDir('dsd-errors-')
    db = openDatabase(join(temp.dir, DATABASE_FILE))
  })
  afterEach(() => {
    db.close()
    temp.cleanup()
  })

  it('reads as kind sign-in-needed with the code its words give, for both variants', () => {
    const repo = new DatasourceRepository(db)
    const now = Date.now()
    const old = (message: string) => JSON.stringify({ kind: 'oauth', code: 'sign-in-needed', message, hint: 'Entering the password again fixes this.' })
    const ids = [asDatasourceId('a'), asDatasourceId('b')]
    for (const id of ids) {
      repo.save({ id, name: id, url: '', auth: { type: 'none' }, revision: 1, createdAt: now, updatedAt: now })
      repo.saveRenewalState(id, { state: 'sign-in-needed', attempt: 1, nextAttemptAt: null, lastError: null, updatedAt: now })
    }
    const write = db.prepare('UPDATE renewal_state SET last_error = ? WHERE datasource_id = ?')
    write.run(old('No password is stored for automatic renewal.'), 'a')
    write.run(old('The refresh token is no longer accepted (invalid_grant), and no password is stored.'), 'b')

    expect(repo.renewalState('a')?.lastError).toMatchObject({ kind: 'sign-in-needed', code: 'no-password', message: 'No password is stored for automatic renewal.' })
    expect(repo.renewalState('b')?.lastError).toMatchObject({ kind: 'sign-in-needed', code: 'refresh-token-rejected', hint: 'Entering the password again fixes this.' })
  })
})
