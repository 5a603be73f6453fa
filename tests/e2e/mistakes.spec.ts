import { closedPort, startHostileServer, type HostileServer } from '../support/hostile-server'
import { BODY_ONLY_CLIENT, TEST_USER } from '../support/oauth-server'
import { expect, test } from './fixtures'
import { fillOAuthForm, serverForm, testConnection } from './form'

let hostile: HostileServer
test.beforeAll(async () => {
  hostile = await startHostileServer()
})
test.afterAll(async () => {
  await hostile.close()
})

test.beforeEach(async ({ app }) => {
  await app.page.getByTestId('new-datasource').first().click()
})

test('wrong password: invalid_grant, with a hint about the username and password', async ({ app, oauthServer }) => {
  await fillOAuthForm(app.page, serverForm(oauthServer, { password: 'not the password' }))
  const result = await testConnection(app.page, 'failure')
  await expect(result.getByTestId('oauth-error-code')).toContainText('invalid_grant')
  await expect(result.getByTestId('test-error-hint')).toContainText(/username and password/i)
  await expect(result).toContainText('400')
  await expect(result).not.toContainText('not the password')
})

test('wrong client secret: invalid_client, with a hint to check the secret or the method', async ({ app, oauthServer }) => {
  await fillOAuthForm(app.page, serverForm(oauthServer, { clientSecret: 'not the secret' }))
  const result = await testConnection(app.page, 'failure')
  await expect(result.getByTestId('oauth-error-code')).toContainText('invalid_client')
  await expect(result.getByTestId('test-error-hint')).toContainText(/client secret/i)
})

test('a server that wants body credentials while Basic is chosen: switch the method, and it works', async ({ app, oauthServer }) => {
  const values = serverForm(oauthServer, { clientId: BODY_ONLY_CLIENT.id, clientSecret: BODY_ONLY_CLIENT.secret, clientAuth: 'basic' })
  await fillOAuthForm(app.page, values)
  const result = await testConnection(app.page, 'failure')
  await expect(result.getByTestId('oauth-error-code')).toContainText('invalid_client')
  await expect(result.getByTestId('test-error-hint')).toContainText(/request body/i)

  await app.page.getByTestId('field-client-auth').selectOption('body')
  await expect(await testConnection(app.page, 'success')).toContainText('Valid access token')
})

test('an unreachable token URL: the connection was refused, try again or check the URL', async ({ app, oauthServer }) => {
  const port = await closedPort()
  await fillOAuthForm(app.page, serverForm(oauthServer, { tokenUrl: `http://127.0.0.1:${port}/token` }))
  const result = await testConnection(app.page, 'failure')
  await expect(result.getByTestId('test-error-message')).toContainText(/refused/i)
  await expect(result.getByTestId('test-error-hint')).not.toBeEmpty()
})

test('an http:// token URL to a remote host is refused at the field, before anything is sent', async ({ app, oauthServer }) => {
  const before = oauthServer.counts.allRequests
  await fillOAuthForm(app.page, serverForm(oauthServer, { tokenUrl: 'http://auth.example.com/oauth/token' }))
  await app.page.getByTestId('test-connection').click()
  await expect(app.page.getByText(/Use https:\/\/ for the token URL/)).toBeVisible()
  await expect(app.page.getByTestId('field-token-url')).toHaveAttribute('aria-invalid', 'true')
  expect(oauthServer.counts.allRequests).toBe(before)
})

test('a token endpoint answering with an HTML page: says what came back, never dumps it', async ({ app, oauthServer }) => {
  await fillOAuthForm(app.page, serverForm(oauthServer, { tokenUrl: hostile.url('/html'), password: TEST_USER.password }))
  const result = await testConnection(app.page, 'failure')
  await expect(result.getByTestId('test-error-message')).toContainText(/HTML/i)
  await expect(result).not.toContainText('PROXY-LOGIN-PAGE-MARKER')
})

test('Test connection can be cancelled while it runs', async ({ app, oauthServer }) => {
  await fillOAuthForm(app.page, serverForm(oauthServer, { tokenUrl: hostile.url('/hang') }))
  await app.page.getByTestId('test-connection').click()
  await expect(app.page.getByTestId('test-progress')).toBeVisible()
  await app.page.getByTestId('cancel-test').click()
  await expect(app.page.getByTestId('test-cancelled')).toBeVisible()
  await expect(app.page.getByTestId('test-connection')).toBeEnabled()
})
