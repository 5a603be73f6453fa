import { startJmondiServer } from '../support/interop/jmondi-server'
import { PLAIN_CLIENT, PLAIN_USER } from '../support/interop/interop-server'
import { storedSecret } from '../support/stored-secrets'
import { expectAccessible } from './a11y'
import { expect, test } from './fixtures'
import { createDatasource, fillOAuthForm, row, serverForm, testConnection } from './form'

test.describe.configure({ timeout: 120_000 })

/**
 * Token details ask the server (RFC 7662) where its metadata names an introspection endpoint:
 * @jmondi/oauth2-server's own introspect(), behind RFC 8414 metadata for its `/deployment` issuer.
 */
test('Check at the server: active with what the server knows, then "not active" once the server revoked the token; the window never holds it', async ({ app }) => {
  const { page } = app
  const server = await startJmondiServer()
  try {
    const issuer = server.introspection!.issuer
    await page.getByTestId('new-datasource').first().click()
    await fillOAuthForm(page, { name: 'Ledger', url: server.apiUrl, tokenUrl: server.tokenUrl, clientId: PLAIN_CLIENT.id, clientSecret: PLAIN_CLIENT.secret, clientAuth: 'basic', username: PLAIN_USER.username, password: PLAIN_USER.password, scope: 'read' })
    await page.getByTestId('field-issuer').fill(issuer)
    await page.getByTestId('discover').click()
    await expect(page.getByTestId('discovery-result')).toBeVisible()
    await testConnection(page, 'success')
    await page.getByTestId('save').click()
    await row(page, 'Ledger').click()

    const details = page.getByTestId('token-details')
    await details.locator('summary').click()
    const introspection = details.getByTestId('introspection')
    await expect(introspection).toContainText(`At the server (${new URL(server.tokenUrl).host})`)
    await introspection.getByTestId('introspect').click()
    await expect(introspection.getByTestId('introspection-active')).toHaveText('Active: the server accepts this token.')
    const facts = introspection.getByTestId('introspection-facts')
    await expect(facts.locator('[data-field="active"]')).toHaveText('yes')
    await expect(facts.locator('[data-field="scope"]')).toHaveText('read')
    await expect(facts.locator('[data-field="client_id"]')).toHaveText(PLAIN_CLIENT.id)
    await expect(facts.locator('[data-field="exp"]')).toContainText(/\d{4}-\d\d-\d\dT/)
    await expectAccessible(page, 'token details checked at the server')

    // Revoked at the server (RFC 7009, as an administrator would): the next check says so plainly.
    const id = await page.evaluate(async () => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string }> }).value[0]?.id ?? '')
    const token = (await storedSecret(app.dataDir, app.secretStore, id, 'access-token')) ?? ''
    expect(token.length).toBeGreaterThan(10)
    const revoked = await fetch(server.revocation!.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token', client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret }),
    })
    expect(revoked.status).toBe(200)
    await introspection.getByTestId('introspect').press('Enter')
    const inactive = introspection.getByTestId('introspection-inactive')
    await expect(inactive).toContainText('Not active: the server rejects this token.')
    await expect(inactive).toContainText('Renew now gets a new one.')
    await expect(facts.locator('[data-field="active"]')).toHaveText('no')
    await expect(facts.locator('[data-field="scope"]')).toHaveCount(0)
    await expectAccessible(page, 'a token the server rejects')

    // Neither the page nor anything sent to it holds the token or the client secret.
    expect(await page.content()).not.toContain(token)
    expect(JSON.stringify(app.sentToRenderer)).not.toContain(token)
    expect(JSON.stringify(app.sentToRenderer)).not.toContain(PLAIN_CLIENT.secret)
  } finally {
    await server.close()
  }
})

test('a server that names no introspection endpoint gets no "Check at the server"', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer, { name: 'Plain' }))
  await row(page, 'Plain').click()
  await page.getByTestId('token-details').locator('summary').click()
  await expect(page.getByTestId('token-opaque')).toBeVisible()
  await expect(page.getByTestId('introspection')).toHaveCount(0)
})
