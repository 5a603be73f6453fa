import type { Page } from '@playwright/test'
import { parseSecretAccount } from '../../electron/core/secrets/secret-store'
import { storedSecret } from '../support/stored-secrets'
import { CONFIDENTIAL_CLIENT, TEST_USER } from '../support/oauth-server'
import { expect, test } from './fixtures'
import { createDatasource, fillOAuthForm, row, serverForm, testConnection } from './form'
import { clockPattern } from '../support/clock-pattern'

test('first run: the empty state explains what to do; create, test, save, and see it listed', async ({ app, oauthServer }) => {
  const { page } = app
  await expect(page.getByTestId('empty-state')).toBeVisible()
  await expect(page.getByTestId('empty-state')).toContainText(/datasource/i)

  await page.getByTestId('new-datasource').first().click()
  await expect(page.getByTestId('grant-note')).toContainText(/first-party/i)
  await fillOAuthForm(page, serverForm(oauthServer))
  const result = await testConnection(page, 'success')
  await expect(result).toContainText('Valid access token')
  await expect(result.getByTestId('test-expiry')).toHaveText(new RegExp(`^${clockPattern}, in (59 min|60 min|1 h)$`))
  // The outcome also sits in the sticky action bar, next to Save.
  await expect(page.getByTestId('test-summary')).toContainText(/valid access token/i)
  await expect(result).toContainText(/refresh token/i)
  await expect(page.getByTestId('api-check')).toContainText(/GET .*→ 200/)

  await page.getByTestId('save').click()
  const saved = row(page, 'CRM')
  await expect(saved).toBeVisible()
  await expect(saved.getByTestId('datasource-status')).toContainText(/valid/i)
  await expect(saved.getByTestId('datasource-status')).toContainText(/in (59 min|60 min|1 h)/)
})

test('restart: the datasource and its token come back; secrets only as "stored", never in the DOM', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  // The same token comes back: compare its expiry instant, not the wording, which moves from
  // "in 1 h" to "in 59 min" while the app restarts.
  const expiryBefore = await row(page, 'CRM').getByTestId('datasource-status').getAttribute('data-expires-at')
  expect(expiryBefore).toBeTruthy()

  await app.restart()
  const restored = row(page, 'CRM')
  await expect(restored).toBeVisible()
  await expect(restored.getByTestId('datasource-status')).toContainText(/valid/i)
  await expect(restored.getByTestId('datasource-status')).toContainText(/in (59 min|60 min|1 h)/)
  expect(await restored.getByTestId('datasource-status').getAttribute('data-expires-at')).toBe(expiryBefore)

  await restored.click()
  await expect(page.getByTestId('overview-usability')).toContainText(/valid until/i)
  await page.getByTestId('tab-settings').click()
  await expect(page.getByTestId('field-client-secret')).toHaveValue('')
  await expect(page.getByTestId('field-client-secret')).toHaveAttribute('placeholder', /stored/i)
  await expect(page.getByTestId('field-password')).toHaveAttribute('placeholder', /stored/i)

  const accessToken = await storedSecret(app.dataDir, app.secretStore, await datasourceId(app.page, 'CRM'), 'access-token')
  expect(accessToken).toBeTruthy()
  const html = await page.content()
  for (const secret of [CONFIDENTIAL_CLIENT.secret, TEST_USER.password, accessToken as string]) expect(html).not.toContain(secret)
})

test('edit a secret: the stored token is dropped, and a new test works', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  const id = await datasourceId(page, 'CRM')
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'access-token')).not.toBeNull()

  await row(page, 'CRM').click()
  await page.getByTestId('tab-settings').click()
  await page.getByTestId('field-client-secret').fill('a wrong secret')
  await page.getByTestId('save').click()
  // Untested authentication settings: Save asks first.
  await page.getByTestId('confirm-untested-save').click()
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toContainText(/not connected/i)
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'access-token')).toBeNull()

  await row(page, 'CRM').click()
  await page.getByTestId('tab-settings').click()
  await page.getByTestId('field-client-secret').fill(CONFIDENTIAL_CLIENT.secret)
  await testConnection(page, 'success')
  await page.getByTestId('save').click()
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toContainText(/valid/i)
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'access-token')).not.toBeNull()
})

test('delete: asks first, then the datasource and its keychain entries are gone', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  const id = await datasourceId(page, 'CRM')
  expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === id).length).toBeGreaterThan(0)

  await row(page, 'CRM').click()
  await page.getByTestId('delete').click()
  await expect(page.getByTestId('confirm-dialog')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('confirm-dialog')).toBeHidden()
  await page.getByTestId('delete').click()
  await page.getByTestId('confirm-delete').click()

  await expect(page.getByTestId('empty-state')).toBeVisible()
  await expect(row(page, 'CRM')).toHaveCount(0)
  expect((await app.secretStore.accounts()).filter((account) => parseSecretAccount(account)?.datasourceId === id)).toEqual([])
})

test('keyboard only: create, test and save a datasource without the mouse', async ({ app, oauthServer }) => {
  const { page } = app
  const values = serverForm(oauthServer, { name: 'Keyboard' })
  // Walk the page in tab order; each control must be reachable with Tab alone.
  const tabTo = async (testId: string) => {
    for (let i = 0; i < 15; i++) {
      if (await page.getByTestId(testId).first().evaluate((element) => element === document.activeElement)) return
      await page.keyboard.press('Tab')
    }
    await expect(page.getByTestId(testId).first()).toBeFocused()
  }
  const typeInto = async (testId: string, text: string) => {
    await expect(page.getByTestId(testId)).toBeFocused()
    await page.keyboard.type(text)
  }
  await tabTo('new-datasource')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('field-name')).toBeFocused()

  await typeInto('field-name', values.name)
  await tabTo('field-url')
  await page.keyboard.type(values.url ?? '')
  await tabTo('field-token-url')
  await page.keyboard.type(values.tokenUrl)
  await tabTo('field-client-id')
  await page.keyboard.type(values.clientId)
  await tabTo('field-client-secret')
  await page.keyboard.type(values.clientSecret)
  await tabTo('field-username')
  await page.keyboard.type(values.username)
  await tabTo('field-password')
  await page.keyboard.type(values.password)
  await tabTo('test-connection')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('test-result')).toHaveAttribute('data-outcome', 'success')
  await tabTo('save')
  await page.keyboard.press('Enter')
  await expect(row(page, 'Keyboard')).toBeVisible()
})

/** The id of a listed datasource, asked from the app itself (the page never shows it). */
async function datasourceId(page: Page, name: string): Promise<string> {
  const list = await page.evaluate(async () => (await window.api.listDatasources({})) as { ok: boolean; value?: Array<{ id: string; name: string }> })
  const found = list.value?.find((datasource) => datasource.name === name)
  if (!found) throw new Error(`datasource ${name} is not listed`)
  return found.id
}
