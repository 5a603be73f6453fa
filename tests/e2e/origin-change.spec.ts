import { expect, test } from './fixtures'
import { createDatasource, row, serverForm, testConnection } from './form'
import { TEST_USER } from '../support/oauth-server'

/**
 * Issue 11, item 5 in the window: when an edit points the token URL at another origin, the stored
 * client secret and password are not sent there unless typed again or allowed with the checkbox
 * (off by default). The new origin is the same real server under another host name
 * (localhost instead of 127.0.0.1), so an allowed request really gets a token there.
 */
test('a token URL moved to another host: stored secrets stay back unless typed again or allowed', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  await row(page, 'CRM').click()
  await page.getByTestId('tab-settings').click()
  await expect(page.getByTestId('origin-change')).toHaveCount(0)

  const moved = oauthServer.tokenUrl.replace('127.0.0.1', 'localhost')
  const newHost = new URL(moved).host
  await page.getByTestId('field-token-url').fill(moved)
  const notice = page.getByTestId('origin-change')
  await expect(notice).toContainText(`The token URL now points to ${newHost}. The stored client secret and password will not be sent there`)
  const allow = page.getByTestId('field-send-secrets-to-new-origin')
  await expect(allow).not.toBeChecked()
  await expect(notice.locator('label')).toHaveText(`Send the stored client secret and password to ${newHost}`)

  // Off: nothing is sent; both secret fields ask to be typed again.
  oauthServer.resetCounts()
  await page.getByTestId('test-connection').click()
  await expect(page.getByText(`Enter it again for ${newHost}`).first()).toBeVisible()
  await expect(page.getByTestId('field-client-secret')).toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByTestId('field-password')).toHaveAttribute('aria-invalid', 'true')
  expect(oauthServer.counts.tokenRequests).toBe(0)

  // Typing the password again leaves only the client secret to allow.
  await page.getByTestId('field-password').fill(TEST_USER.password)
  await expect(notice.locator('label')).toHaveText(`Send the stored client secret to ${newHost}`)
  await page.getByTestId('field-password').fill('')

  // On: the stored secrets go to the new host, Test connection gets a token there, and Save keeps it.
  await allow.check()
  await expect(page.getByTestId('field-password')).not.toHaveAttribute('aria-invalid', 'true')
  await expect(await testConnection(page, 'success')).toContainText('Valid access token')
  expect(oauthServer.counts.tokenRequests).toBe(1)
  expect(oauthServer.tokenRequestLog.at(-1)?.params.password).toBe(TEST_USER.password)
  await page.getByTestId('save').click()
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toContainText(/valid/i)

  // Moving on to yet another host asks again: the earlier yes was for that one host only.
  await row(page, 'CRM').click()
  await page.getByTestId('tab-settings').click()
  await page.getByTestId('field-token-url').fill(oauthServer.tokenUrl)
  await expect(page.getByTestId('field-send-secrets-to-new-origin')).not.toBeChecked()
})
