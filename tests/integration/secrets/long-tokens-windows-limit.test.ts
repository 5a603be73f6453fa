/**
 * Issue 9 item 7: on Windows a credential holds 2560 bytes, and Entra ID / Keycloak access tokens
 * are often longer, so save and renewal failed there. Here the whole journey runs with the keytar
 * store limited to 2560 bytes per item over the real keyring (gnome-keyring), against a real OAuth
 * server issuing 16 KB tokens: test and save, renew, delete. Run inside tests/support/with-keyring.sh.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import { parseSecretAccount } from '../../../electron/core/secrets/secret-store'
import { WINDOWS_CREDENTIAL_MAX_BYTES } from '../../../electron/core/secrets/secret-parts'
import { passwordForm, unwrap } from '../../support/core-harness'
import { requireKeyringSession } from '../../support/keyring-session'
import { startOAuthServer, type OAuthTestServer } from '../../support/oauth-server'
import { makeTempDir } from '../../support/temp-dir'

const service = `datasource-desk-test-${randomUUID()}`
// What the app does on Windows: items of at most 2560 bytes.
const store = createKeytarSecretStore(service, { maxSecretBytes: WINDOWS_CREDENTIAL_MAX_BYTES })
// The same keyring without the parts layer: every item as it is stored.
const rawItems = createKeytarSecretStore(service, { maxSecretBytes: null })
const temp = makeTempDir('dsd-long-tokens-')
// A JWT-like prefix makes every access and refresh token about 16 KB.
const longPrefix = `eyJ${'a1B2c3D4'.repeat(2_000)}.`

let server: OAuthTestServer
let core: Core

beforeAll(async () => {
  requireKeyringSession()
  server = await startOAuthServer({ tokenPrefix: longPrefix })
  core = await createCore({ dataDir: temp.dir, secretStore: store, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
})

afterAll(async () => {
  await core?.close()
  await server?.close()
  for (const account of await rawItems.accounts().catch(() => [])) await rawItems.delete(account).catch(() => false)
  temp.cleanup()
})

async function itemsOf(id: string): Promise<Array<{ account: string; bytes: number }>> {
  const accounts = (await rawItems.accounts()).filter((account) => account.includes(`/${id}/`))
  return Promise.all(accounts.map(async (account) => ({ account, bytes: Buffer.byteLength((await rawItems.get(account))?.reveal() ?? '', 'utf8') })))
}

describe('16 KB tokens under a 2560-byte credential limit, real keyring', () => {
  let id = ''
  let firstToken = ''

  it('saves a tested datasource: the token is stored in parts that each fit', async () => {
    const testId = randomUUID()
    unwrap(await core.handlers.testConnection({ testId, input: passwordForm(server) }))
    id = unwrap(await core.handlers.saveDatasource({ input: passwordForm(server), testId })).id
    firstToken = (await core.service.readSecret(id, 'access-token'))?.reveal() ?? ''
    expect(firstToken.startsWith(longPrefix)).toBe(true)
    expect(firstToken.length).toBeGreaterThan(16_000)
    const items = await itemsOf(id)
    expect(items.length).toBeGreaterThan(14)
    for (const item of items) expect(item.bytes, item.account).toBeLessThanOrEqual(WINDOWS_CREDENTIAL_MAX_BYTES)
  })

  it('renews: the new token replaces the old one whole, and the old parts are gone', async () => {
    const before = (await itemsOf(id)).length
    await core.renewNow(id)
    const renewed = (await core.service.readSecret(id, 'access-token'))?.reveal() ?? ''
    expect(renewed.startsWith(longPrefix)).toBe(true)
    expect(renewed).not.toBe(firstToken)
    expect(server.counts.refreshGrants).toBe(1)
    // The old versions (and their parts) are deleted off the renewal's path.
    await core.service.drainReleasedSecrets()
    expect((await itemsOf(id)).length).toBe(before)
    // One current entry per kind: the renewal's old versions are gone.
    const kinds = (await store.accounts()).map((account) => parseSecretAccount(account)).filter((parsed) => parsed?.datasourceId === id)
    expect(kinds.map((parsed) => parsed?.kind).sort()).toEqual(['access-token', 'client-secret', 'password', 'refresh-token'])
  })

  it('deletes the datasource with every part of its secrets', async () => {
    unwrap(await core.handlers.deleteDatasource({ id }))
    expect(await itemsOf(id)).toEqual([])
  })
})
