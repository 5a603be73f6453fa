import { TEST_USER } from '../support/oauth-server'
import { expect, test } from './fixtures'
import { storedSecret } from '../support/stored-secrets'
import { createDatasource, row, serverForm } from './form'
import { seedDesk } from './seed'

test.describe.configure({ timeout: 120_000 })

test('forty datasources at 720x480: counts of what needs you, filters, search, and an Overview that loses nothing', async ({ app, oauthServer }) => {
  const { page } = app
  await seedDesk(page, oauthServer, { valid: 28, rejected: 4, untested: 4, noAuth: 4 })
  await page.setViewportSize({ width: 720, height: 480 })

  // Only the four whose renewal stopped need the user; auth-less and never-tested ones do not.
  await expect(page.getByTestId('filter-needs-you')).toHaveText('4 need you')
  await page.getByTestId('filter-needs-you').click()
  await expect(page.getByTestId('datasource-row')).toHaveCount(4)
  for (const status of await page.getByTestId('datasource-row').getByTestId('datasource-status').all()) await expect(status).toHaveAttribute('data-kind', 'action-needed')
  await page.getByTestId('filter-all').click()

  // Sorted by state, the ones that need you come first.
  await page.getByTestId('sort').selectOption('state')
  await expect(page.getByTestId('datasource-row').first().getByTestId('datasource-status')).toHaveAttribute('data-kind', 'action-needed')

  // Ctrl+F, type, Enter: the first match opens on its Overview, which fits the small window.
  await page.getByTestId('sort').selectOption('name')
  await page.keyboard.press('Control+f')
  await expect(page.getByTestId('search')).toBeFocused()
  await page.keyboard.type('warehouse stag')
  await expect(page.getByTestId('datasource-row')).toHaveCount(1)
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('overview')).toBeVisible()
  await expect(page.getByTestId('list-pane')).toBeHidden()
  await expect(page.getByTestId('overview-usability')).toBeInViewport()
  await expect(page.getByTestId('overview-usability')).toContainText(/valid until/i)
  await expect(page.getByTestId('renew-now')).toBeInViewport()
  // Nothing is cut off sideways at the minimum width.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(720)

  // Esc goes back to the list, onto the row the user came from.
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('list-pane')).toBeVisible()
  await expect(row(page, 'Warehouse (staging)').locator('button').first()).toBeFocused()
})

test('a rejected password is fixed from the Overview with the inline password box', async ({ app, oauthServer }) => {
  const { page } = app
  await seedDesk(page, oauthServer, { valid: 0, rejected: 1, untested: 0, noAuth: 0 })
  await row(page, 'Billing (production)').click()
  const callout = page.getByTestId('status-action-needed')
  await expect(callout).toContainText(/did not accept the username or password/i)
  await callout.getByTestId('sign-in-password').fill(TEST_USER.password)
  await callout.getByTestId('sign-in-submit').click()
  await expect(row(page, 'Billing (production)').getByTestId('datasource-status')).toHaveAttribute('data-kind', /valid/)
  await expect(page.getByTestId('overview-usability')).toContainText(/valid until/i)
})

test('copy actions: the clipboard gets the token, the header and a curl command; the window never sees the token', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  await row(page, 'CRM').click()
  const id = await page.evaluate(async () => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string }> }).value[0]?.id ?? '')
  const token = (await storedSecret(app.dataDir, app.secretStore, id, 'access-token')) ?? ''
  expect(token.length).toBeGreaterThan(10)

  await page.getByTestId('copy-access-token').click()
  await expect(page.getByTestId('copy-status')).toContainText(/access token copied.*cleared at/i)
  expect(await app.clipboard.readSystem()).toBe(token)
  await page.getByTestId('copy-authorization-header').click()
  await expect(page.getByTestId('copy-status')).toContainText(/authorization header copied/i)
  expect(await app.clipboard.readSystem()).toBe(`Authorization: Bearer ${token}`)
  await page.getByTestId('copy-curl').click()
  await expect(page.getByTestId('copy-status')).toContainText(/curl command copied/i)
  expect(await app.clipboard.readSystem()).toBe(`curl -H 'Authorization: Bearer ${token}' '${oauthServer.apiUrl}'`)

  // Token details are decoded in the main process: the test server's tokens are opaque.
  await page.getByTestId('token-details').locator('summary').click()
  await expect(page.getByTestId('token-details')).toContainText(/opaque|iss|exp/)

  // Neither the page nor any message sent to it holds the token.
  expect(await page.content()).not.toContain(token)
  expect(JSON.stringify(app.sentToRenderer)).not.toContain(token)

  // Clear token: asked first, then gone from the keychain; the row says so.
  await page.getByTestId('clear-token').click()
  await page.getByTestId('confirm-clear-token').click()
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'not-connected')
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'access-token')).toBeNull()
  await expect(page.getByTestId('renew-now')).toHaveText(/get token/i)
})
