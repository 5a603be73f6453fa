import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storedSecret } from '../../support/stored-secrets'
import { passwordForm, startCoreHarness, unwrap, type CoreHarness } from '../../support/core-harness'
import { BODY_ONLY_CLIENT, startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'

/** Trying the other client authentication methods after invalid_client, against the real server. */
let server: OAuthTestServer
let app: CoreHarness

beforeAll(async () => {
  server = await startOAuthServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(async () => {
  server.resetCounts()
  app = await startCoreHarness()
})
afterEach(async () => {
  await app.dispose()
})

const bodyOnlyForm = (clientAuth: 'basic' | 'body' = 'basic') =>
  passwordForm(server, { clientId: BODY_ONLY_CLIENT.id, clientSecret: { action: 'set', value: BODY_ONLY_CLIENT.secret }, clientAuth })

describe('client authentication negotiation', () => {
  it('finds the method the server accepts, sends every attempt to the same token URL, and Save keeps that token', async () => {
    const input = bodyOnlyForm('basic')
    const tested = await app.core.handlers.testConnection({ testId: randomUUID(), input })
    expect(!tested.ok && tested.error.code).toBe('invalid_client')
    server.resetCounts()

    const testId = randomUUID()
    const found = unwrap(await app.core.handlers.tryOtherClientAuth({ testId, input }))
    expect(found.accepted).toBe('body')
    expect(found.attempts).toEqual([{ method: 'body' }])
    expect(found.report?.token?.tokenType).toBe('Bearer')
    expect(found.report?.apiCheck?.status).toBe(200)
    // One token request, to the token endpoint only (the server counts every path).
    expect(server.counts).toMatchObject({ tokenRequests: 1, allRequests: 2, apiRequests: 1 })
    expect(server.tokenRequestLog[0]).toMatchObject({ authorization: null, params: { client_id: BODY_ONLY_CLIENT.id } })

    const saved = unwrap(await app.core.handlers.saveDatasource({ input: { ...input, auth: { ...input.auth, clientAuth: 'body' } } as typeof input, testId }))
    expect(saved.auth).toMatchObject({ clientAuth: 'body' })
    expect(saved.status.token?.tokenType).toBe('Bearer')
    expect(await storedSecret(app.dataDir, app.secretStore, saved.id, 'access-token')).not.toBeNull()
    expect(server.counts.tokenRequests).toBe(1)
  })

  it('reports every refusal when no method works', async () => {
    const input = passwordForm(server, { clientId: BODY_ONLY_CLIENT.id, clientSecret: { action: 'set', value: 'wrong' } })
    const found = unwrap(await app.core.handlers.tryOtherClientAuth({ testId: randomUUID(), input }))
    expect(found.accepted).toBeNull()
    expect(found.report).toBeNull()
    expect(found.attempts.map((attempt) => attempt.method)).toEqual(['body', 'basic-raw', 'none'])
    for (const attempt of found.attempts) expect(attempt.error?.kind).toBe('oauth')
    expect(JSON.stringify(found)).not.toContain('wrong')
  })
})
