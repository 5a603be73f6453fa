import { mkdirSync } from 'node:fs'
import type { Page } from '@playwright/test'
import { expectAccessible } from './a11y'
import { expect, test } from './fixtures'
import { createDatasource, fillOAuthForm, row, serverForm, testConnection } from './form'
import { seedDesk } from './seed'

// One long journey: 15 screens, each checked by axe in both themes and photographed twice. It took
// 2.2 min at a load average of 10 and 3.3 min at 16 on 2 cores; the limit leaves room for that.
test.describe.configure({ timeout: 420_000 })

const resultsDir = 'test-results/screenshots'
/** The README's pictures, retaken by this suite on every run. */
const docsDir = 'docs/screenshots'

async function shoot(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  mkdirSync(resultsDir, { recursive: true })
  mkdirSync(docsDir, { recursive: true })
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    const path = `${options.docs ? docsDir : resultsDir}/${name}-${colorScheme}.png`
    await page.screenshot({ path })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

test('every screen and dialog is accessible in light and dark, and is photographed for the README', async ({ app, oauthServer }) => {
  const { page } = app
  await page.setViewportSize({ width: 1100, height: 760 })

  await expect(page.getByTestId('empty-state')).toBeVisible()
  await expectAccessible(page, 'the empty state')
  await shoot(page, 'empty-state')

  await page.getByTestId('new-datasource').first().click()
  await fillOAuthForm(page, serverForm(oauthServer, { password: 'a wrong password' }))
  await testConnection(page, 'failure')
  await expectAccessible(page, 'a failed test')
  await shoot(page, 'form-error')

  await page.getByTestId('field-password').fill(serverForm(oauthServer).password)
  await testConnection(page, 'success')
  await expectAccessible(page, 'a successful test')
  await shoot(page, 'form', { docs: true })
  await page.getByTestId('save').click()
  await expect(page.getByTestId('overview')).toBeVisible()

  await createDatasource(page, serverForm(oauthServer, { name: 'Billing API' }))
  await seedDesk(page, oauthServer, { valid: 6, rejected: 2, untested: 2, noAuth: 2 })
  await expect(page.getByTestId('no-selection')).toBeVisible()
  await expectAccessible(page, 'the list')
  await shoot(page, 'list', { docs: true })

  await row(page, 'CRM').click()
  await expect(page.getByTestId('overview')).toBeVisible()
  await expectAccessible(page, 'the overview')
  await shoot(page, 'overview', { docs: true })

  await page.getByTestId('tab-history').click()
  await expect(page.getByTestId('history')).toBeVisible()
  await expectAccessible(page, 'the history')

  await page.getByTestId('tab-settings').click()
  await page.getByTestId('field-scope').fill('read write')
  await page.getByTestId('save').click()
  await expect(page.getByTestId('confirm-dialog')).toBeVisible()
  await expectAccessible(page, 'the save-without-test dialog')
  await page.getByTestId('cancel-dialog').click()

  // Another row while the form has unsaved changes: asked first.
  await row(page, 'Search (production)').click()
  await expect(page.getByTestId('confirm-dialog')).toBeVisible()
  await expectAccessible(page, 'the discard dialog')
  await page.getByTestId('confirm-discard').click()

  await expect(page.getByTestId('status-action-needed')).toBeVisible()
  await expectAccessible(page, 'an overview that needs the user')
  await page.getByTestId('delete').click()
  await expectAccessible(page, 'the delete dialog')
  await shoot(page, 'delete-dialog')
  await page.getByTestId('cancel-dialog').click()

  // The minimum window size: one pane at a time.
  await page.setViewportSize({ width: 720, height: 480 })
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('list-pane')).toBeVisible()
  await expectAccessible(page, 'the list at 720x480')
  await shoot(page, 'list-small', { docs: true })
  await row(page, 'CRM').click()
  await expect(page.getByTestId('overview')).toBeVisible()
  await expectAccessible(page, 'the overview at 720x480')
  await shoot(page, 'overview-small', { docs: true })
})
