import { mkdirSync } from 'node:fs'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { createDatasource, fillOAuthForm, serverForm, testConnection } from './form'

const screenshotDir = 'test-results/screenshots'

/** Fails on serious or critical accessibility violations, naming each rule and where it fired. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze()
  const blocking = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
  const described = blocking.map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)
  expect(described, `accessibility violations on the ${screen} screen`).toEqual([])
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true })
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await page.screenshot({ path: `${screenshotDir}/${name}-${colorScheme}.png`, fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

test('every main screen is accessible in light and dark, and is photographed for the README', async ({ app, oauthServer }) => {
  const { page } = app
  await page.setViewportSize({ width: 1100, height: 780 })

  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await expect(page.getByTestId('empty-state')).toBeVisible()
    await expectAccessible(page, `empty state (${colorScheme})`)
  }
  await shoot(page, 'empty-state')

  await page.getByTestId('new-datasource').first().click()
  await fillOAuthForm(page, serverForm(oauthServer, { password: 'a wrong password' }))
  await testConnection(page, 'failure')
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await expectAccessible(page, `test error (${colorScheme})`)
  }
  await shoot(page, 'form-error')

  await page.getByTestId('field-password').fill(serverForm(oauthServer).password)
  await testConnection(page, 'success')
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await expectAccessible(page, `form with test result (${colorScheme})`)
  }
  await shoot(page, 'form')
  await page.getByTestId('save').click()

  await createDatasource(page, serverForm(oauthServer, { name: 'Billing API' }))
  await createDatasource(page, serverForm(oauthServer, { name: 'Warehouse', tokenUrl: oauthServer.tokenUrl }))
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await expectAccessible(page, `list (${colorScheme})`)
  }
  await shoot(page, 'list')
})
