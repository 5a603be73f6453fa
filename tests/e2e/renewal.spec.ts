import { expect, test } from './fixtures'
import { createDatasource, row, serverForm } from './form'

const expiresAt = async (locator: import('@playwright/test').Locator) => Number(await locator.getAttribute('data-expires-at'))

test('renewal without touching anything: a 2 s token renews on its own and the screen follows', async ({ app, oauthServer }) => {
  oauthServer.setTokenLifetime(2)
  await createDatasource(app.page, serverForm(oauthServer))
  const status = row(app.page, 'CRM').getByTestId('datasource-status')
  await expect(status).toHaveAttribute('data-kind', /valid|expiring-soon|renewing/)
  const first = await expiresAt(status)
  expect(first).toBeGreaterThan(0)

  // No click from here on: two renewals must reach the screen by themselves.
  await expect.poll(() => expiresAt(status), { timeout: 6_000 }).toBeGreaterThan(first)
  const second = await expiresAt(status)
  await expect.poll(() => expiresAt(status), { timeout: 6_000 }).toBeGreaterThan(second)
  await expect(status).toContainText(/valid|expiring soon|renewing/i)
  expect(oauthServer.counts.refreshGrants).toBeGreaterThanOrEqual(2)
})

test('server down: the status turns to Retrying with the next attempt shown; back up, it recovers by itself', async ({ app, oauthServer }) => {
  oauthServer.setTokenLifetime(3)
  await createDatasource(app.page, serverForm(oauthServer))
  const status = row(app.page, 'CRM').getByTestId('datasource-status')

  await oauthServer.stop()
  await expect(status).toHaveAttribute('data-kind', 'retrying', { timeout: 6_000 })
  // The row says it in short; its title gives the whole sentence.
  await expect(status).toContainText(/retrying in \d+ s/i)
  await expect(status).toHaveAttribute('title', /next attempt in \d+ s/i)

  await row(app.page, 'CRM').click()
  await expect(app.page.getByTestId('status-retrying')).toContainText(/refused|could not connect|not reach/i)
  // Esc goes back to the list alone.
  await app.page.keyboard.press('Escape')
  await expect(app.page.getByTestId('no-selection')).toBeVisible()

  await oauthServer.restart()
  // The first retry comes after about 5 s; nobody clicks anything.
  await expect(status).toHaveAttribute('data-kind', /valid|expiring-soon/, { timeout: 12_000 })
})
