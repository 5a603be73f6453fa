import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSecretAccount, versionedSecretAccount } from '../../../electron/core/secrets/secret-store'
import { databaseIdOf, storedSecret } from '../../support/stored-secrets'
import type { DatasourceInput } from '../../../shared/datasource'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { BODY_ONLY_CLIENT, CONFIDENTIAL_CLIENT, TEST_USER, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'

let server: OAuthTestServer
let app: CoreHarness

beforeAll(async () => {
  server = await startOAuthServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  server.setTokenLifetime(3600)
  server.resetCounts()
  app = await startCoreHarness()
})
afterEach(async () => {
  await app.dispose()
})

async function testAndSave(input: DatasourceInput) {
  const testId = randomUUID()
  const report = unwrap(await app.core.handlers.testConnection({ testId, input }))
  const view = unwrap(await app.core.handlers.saveDatasource({ input, testId }))
  return { report, view }
}

/** The stored access token, read from the real keychain. */
async function storedAccessToken(id: string): Promise<string | null> {
  return storedSecret(app.dataDir, app.secretStore, id, 'access-token')
}

describe('test connection and save against a real OAuth server', () => {
  it('gets a token with Basic credentials containing | = + / & and space, and checks the API with it', async () => {
    const { report } = await testAndSave(passwordForm(server))
    expect(report.token?.tokenType.toLowerCase()).toBe('bearer')
    expect(report.token?.expiresAt).toBe((report.token?.obtainedAt ?? 0) + 3600_000)
    expect(report.token?.hasRefreshToken).toBe(true)
    expect(report.apiCheck).toMatchObject({ method: 'GET', url: server.apiUrl, status: 200 })
    expect(server.counts.passwordGrants).toBe(1)
  })

  it('stores the tested token next to the datasource: metadata in SQLite, the token in the keychain', async () => {
    const { view, report } = await testAndSave(passwordForm(server))
    expect(view.status.token).toEqual(expect.objectContaining({ obtainedAt: report.token?.obtainedAt, expiresAt: report.token?.expiresAt }))
    expect(await storedAccessToken(view.id)).toMatch(/.+/)
    // Save used the test's token: no second token request.
    expect(server.counts.tokenRequests).toBe(1)
  })

  it('keeps no secret in the SQLite file or its WAL after a full save', async () => {
    const { view } = await testAndSave(passwordForm(server))
    const accessToken = await storedAccessToken(view.id)
    const refreshToken = await storedSecret(app.dataDir, app.secretStore, view.id, 'refresh-token')
    const bytes = app.databaseBytes()
    expect(bytes.length).toBeGreaterThan(0)
    for (const secret of [CONFIDENTIAL_CLIENT.secret, TEST_USER.password, accessToken, refreshToken]) {
      expect(secret).toBeTruthy()
      expect(bytes.includes(Buffer.from(secret as string))).toBe(false)
    }
    // The datasource itself is in there, so the search would have found text.
    expect(bytes.includes(Buffer.from(CONFIDENTIAL_CLIENT.id))).toBe(true)
  })

  it('survives a restart, and the renderer sees secrets only as "stored"', async () => {
    const { view } = await testAndSave(passwordForm(server))
    await app.restart()
    const list = unwrap(await app.core.handlers.listDatasources({}))
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id: view.id, name: 'CRM', auth: { hasClientSecret: true, hasPassword: true } })
    expect(list[0]?.status.token?.expiresAt).toBe(view.status.token?.expiresAt)
    const serialized = JSON.stringify(list) + JSON.stringify(unwrap(await app.core.handlers.getDatasource({ id: view.id })))
    for (const secret of [CONFIDENTIAL_CLIENT.secret, TEST_USER.password, await storedAccessToken(view.id)]) {
      expect(serialized.includes(secret as string)).toBe(false)
    }
  })

  it('uses credentials in the body when chosen, and explains invalid_client when Basic is used instead', async () => {
    const body = passwordForm(server, {
      clientId: BODY_ONLY_CLIENT.id,
      clientSecret: { action: 'set', value: BODY_ONLY_CLIENT.secret },
      clientAuth: 'body',
    })
    expect(unwrap(await app.core.handlers.testConnection({ testId: randomUUID(), input: body })).token).not.toBeNull()

    const basic = { ...body, auth: { ...body.auth, clientAuth: 'basic' } } as DatasourceInput
    const result = await app.core.handlers.testConnection({ testId: randomUUID(), input: basic })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error).toMatchObject({ kind: 'oauth', code: 'invalid_client' })
      expect(result.error.hint).toMatch(/client authentication method/)
    }
  })

  it('refuses an http:// token URL to a remote host before anything is sent', async () => {
    const input = passwordForm(server, { tokenUrl: 'http://auth.example.com/token' })
    const result = await app.core.handlers.testConnection({ testId: randomUUID(), input })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.fieldIssues?.[0]).toMatchObject({ path: 'auth.tokenUrl', message: expect.stringMatching(/https/) })
    expect(server.counts.allRequests).toBe(0)
  })

  it('refuses a second datasource with the same name, whatever its case', async () => {
    await testAndSave(passwordForm(server))
    const result = await app.core.handlers.saveDatasource({ input: passwordForm(server, {}, 'crm') })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ kind: 'conflict', fieldIssues: [{ path: 'name' }] })
  })
})

describe('editing and deleting', () => {
  it('keeps the token when saved unchanged with "stored" secrets', async () => {
    const { view } = await testAndSave(passwordForm(server))
    const token = await storedAccessToken(view.id)
    const unchanged = passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } })
    const saved = unwrap(await app.core.handlers.saveDatasource({ input: { ...unchanged, id: view.id } }))
    expect(saved.status.token?.obtainedAt).toBe(view.status.token?.obtainedAt)
    expect(await storedAccessToken(view.id)).toBe(token)
    expect(saved.auth).toMatchObject({ hasClientSecret: true, hasPassword: true })
  })

  it('drops the stored token when a secret or a token-relevant field changes', async () => {
    const { view } = await testAndSave(passwordForm(server))
    const newSecret = passwordForm(server, { clientSecret: { action: 'set', value: 'another secret' }, password: { action: 'keep' } })
    const saved = unwrap(await app.core.handlers.saveDatasource({ input: { ...newSecret, id: view.id } }))
    expect(saved.status.token).toBeNull()
    expect(await storedAccessToken(view.id)).toBeNull()

    const again = await testAndSave({ ...passwordForm(server), id: view.id })
    expect(again.view.status.token).not.toBeNull()
    const newScope = passwordForm(server, { scope: 'read write', clientSecret: { action: 'keep' }, password: { action: 'keep' } })
    const rescoped = unwrap(await app.core.handlers.saveDatasource({ input: { ...newScope, id: view.id } }))
    expect(rescoped.status.token).toBeNull()
    const history = unwrap(await app.core.handlers.getHistory({ id: view.id }))
    expect(history.map((event) => event.kind)).toContain('config-changed')
  })

  it('does not store a tested token when the settings changed between test and save', async () => {
    const input = passwordForm(server)
    const testId = randomUUID()
    unwrap(await app.core.handlers.testConnection({ testId, input }))
    const changed = passwordForm(server, { username: 'someone-else' })
    const view = unwrap(await app.core.handlers.saveDatasource({ input: changed, testId }))
    expect(view.status.token).toBeNull()
    expect(await storedAccessToken(view.id)).toBeNull()
  })

  it('tests a saved datasource with its stored secrets', async () => {
    const { view } = await testAndSave(passwordForm(server))
    const stored = passwordForm(server, { clientSecret: { action: 'keep' }, password: { action: 'keep' } })
    const report = unwrap(await app.core.handlers.testConnection({ testId: randomUUID(), input: { ...stored, id: view.id } }))
    expect(report.token?.obtainedAt).toBeGreaterThan(view.status.token?.obtainedAt ?? Infinity)
    expect(report.apiCheck?.status).toBe(200)
  })

  it('does not keep the password when "Remember password" is off', async () => {
    const { view } = await testAndSave(passwordForm(server, { rememberPassword: false }))
    expect(view.auth).toMatchObject({ rememberPassword: false, hasPassword: false })
    expect(await storedSecret(app.dataDir, app.secretStore, view.id, 'password')).toBeNull()
    expect(await storedAccessToken(view.id)).not.toBeNull()
  })

  it('deletes the row and every keychain entry of the datasource', async () => {
    const { view } = await testAndSave(passwordForm(server))
    const other = await testAndSave(passwordForm(server, {}, 'Other'))
    expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === view.id)).toHaveLength(4)
    unwrap(await app.core.handlers.deleteDatasource({ id: view.id }))
    expect(unwrap(await app.core.handlers.listDatasources({})).map((d) => d.name)).toEqual(['Other'])
    expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === view.id)).toEqual([])
    expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === other.view.id)).toHaveLength(4)
    const again = await app.core.handlers.deleteDatasource({ id: view.id })
    expect(again.ok).toBe(false)
  })

  it('sweeps keychain entries that no datasource owns at start', async () => {
    const orphan = randomUUID()
    const { Secret } = await import('../../../electron/core/secrets/secret')
    await app.secretStore.set(versionedSecretAccount(databaseIdOf(app.dataDir), orphan, 'access-token', 'v1'), new Secret('left over by a crash'))
    await app.restart()
    await expect.poll(async () => (await app.secretStore.accounts()).some((account) => parseSecretAccount(account)?.datasourceId === orphan)).toBe(false)
  })
})
