/**
 * Migration 5: the refusal of a refresh token is recorded with the token (issue 12). A database
 * from before it kept the refusal only in the words of its sign-in-needed error; those rows are
 * marked, and nothing else is.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openDatabase } from '../../../../electron/core/db/connection'
import { DatasourceRepository } from '../../../../electron/core/db/datasource-repository'
import { schemaMigrations } from '../../../../electron/core/db/schema'
import { makeTempDir } from '../../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir('dsd-migration-5-')
})
afterEach(() => temp.cleanup())

it('marks the tokens whose stored sign-in error says the refresh token was refused, and only those', () => {
  const file = join(temp.dir, 'datasource-desk.sqlite')
  const before = openDatabase(file, schemaMigrations.slice(0, 4))
  const error = (message: string) => JSON.stringify({ kind: 'oauth', code: 'sign-in-needed', message })
  const rows: ReadonlyArray<readonly [string, string, string | null]> = [
    ['refused', 'sign-in-needed', error('The refresh token is no longer accepted (invalid_grant), and no password is stored.')],
    ['no-password', 'sign-in-needed', error('No password is stored for automatic renewal.')],
    ['fine', 'idle', null],
  ]
  for (const [id, state, lastError] of rows) {
    before.prepare("INSERT INTO datasources (id, name, url, auth_type, created_at, updated_at) VALUES (?, ?, '', 'oauth2-password', 1, 1)").run(id, id)
    before.prepare("INSERT INTO tokens (datasource_id, token_type, requested_scope, obtained_at, expires_at, has_refresh_token) VALUES (?, 'Bearer', '', 1, 2, 1)").run(id)
    before.prepare('INSERT INTO renewal_state (datasource_id, state, attempt, last_error, updated_at) VALUES (?, ?, 1, ?, 777)').run(id, state, lastError)
  }
  before.close()

  const db = openDatabase(file)
  try {
    const repo = new DatasourceRepository(db)
    expect(repo.token('refused')?.refreshRejectedAt).toBe(777)
    expect(repo.token('no-password')?.refreshRejectedAt).toBeUndefined()
    expect(repo.token('fine')?.refreshRejectedAt).toBeUndefined()
  } finally {
    db.close()
  }
})
