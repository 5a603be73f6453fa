import { startJmondiServer } from '../support/interop/jmondi-server'
import { PLAIN_CLIENT, PLAIN_USER, type InteropServer } from '../support/interop/interop-server'
import { storedSecret } from '../support/stored-secrets'
import { expect, test, type AppHarness } from './fixtures'
import { fillOAuthForm, row, testConnection } from './form'

test.describe.configure({ timeout: 120_000 })

/**
 * Delete at a server whose RFC 8414 metadata names a revocation endpoint (RFC 7009):
 * @jmondi/oauth2-server's own revoke(), in Chromium against the real core. The toast says what
 * the server did, in the words `remove` prints too (shared/revocation.ts).
 */
async function saveWithDiscovery(app: AppHarness, server: InteropServer, name: string): Promise<string> {
  const { page } = app
  await page.getByTestId('new-datasource').first().click()
  await fillOAuthForm(page, { name, url: server.apiUrl, tokenUrl: server.tokenUrl, clientId: PLAIN_CLIENT.id, clientSecret: PLAIN_CLIENT.secret, clientAuth: 'basic', username: PLAIN_USER.username, password: PLAIN_USER.password, scope: 'read' })
  await page.getByTestId('field-issuer').fill(server.revocation!.issuer)
  await page.getByTestId('discover').click()
  await expect(page.getByTestId('discovery-result')).toBeVisible()
  await testConnection(page, 'success')
  await page.getByTestId('save').click()
  await row(page, name).click()
  return page.evaluate(async (wanted) => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string; name: string }> }).value.find((view) => view.name === wanted)?.id ?? '', name)
}

async function deleteFromWindow(app: AppHarness, name: string, host: string): Promise<void> {
  const { page } = app
  await row(page, name).click()
  await page.getByTestId('delete').click()
  await expect(page.getByTestId('delete-revocation-note')).toContainText(`the tokens are revoked at ${host} as well`)
  await page.getByTestId('confirm-delete').click()
  await expect(row(page, name)).toHaveCount(0)
}

/** The delete's toast (the Save's may still be showing). */
const deletedToast = (app: AppHarness) => app.page.getByTestId('toast').filter({ hasText: 'Deleted “' })

async function refreshAccepted(server: InteropServer, refreshToken: string): Promise<boolean> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret })
  const response = await fetch(server.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  await response.body?.cancel()
  return response.status === 200
}

test('delete revokes the tokens at the server, the toast says so, and the old refresh token is refused there', async ({ app }) => {
  const server = await startJmondiServer()
  try {
    const id = await saveWithDiscovery(app, server, 'Ledger')
    const refreshToken = (await storedSecret(app.dataDir, app.secretStore, id, 'refresh-token')) ?? ''
    expect(await refreshAccepted(server, refreshToken)).toBe(true)
    const host = new URL(server.tokenUrl).host

    await deleteFromWindow(app, 'Ledger', host)
    await expect(deletedToast(app)).toContainText(`Deleted “Ledger”. Revoked the refresh token and the access token at ${host}.`)
    expect(await refreshAccepted(server, refreshToken)).toBe(false)
    // The toast is about the tokens, never the tokens.
    expect(await app.page.content()).not.toContain(refreshToken)
    expect(JSON.stringify(app.sentToRenderer)).not.toContain(refreshToken)
  } finally {
    await server.close()
  }
})

test('delete at a server that is gone: deleted at once, and the toast says the tokens could not be revoked', async ({ app }) => {
  const server = await startJmondiServer()
  const host = new URL(server.tokenUrl).host
  try {
    await saveWithDiscovery(app, server, 'Gone')
  } finally {
    await server.close()
  }
  await deleteFromWindow(app, 'Gone', host)
  await expect(deletedToast(app)).toContainText(`Deleted “Gone”. Could not revoke the tokens at ${host}: `)
  await expect(deletedToast(app)).toContainText('(the tokens expire on their own).')
  await expect(app.page.getByTestId('empty-state')).toBeVisible()
})
