import type { Locator, Page } from '@playwright/test'
import type { TrayItem, TrayModel } from '../../electron/core/tray-model'
import { expect, test } from './fixtures'
import { createDatasource, row, serverForm } from './form'
import { clockPattern } from '../support/clock-pattern'

type DatasourceItem = Extract<TrayItem, { kind: 'datasource' }>
const datasourceItems = (model: TrayModel): DatasourceItem[] => model.items.filter((item): item is DatasourceItem => item.kind === 'datasource')
const clock = clockPattern

/** The dot's colour next to the theme's amber and red, all as computed rgb() strings. */
async function dotColours(page: Page, status: Locator): Promise<{ dot: string; attention: string; error: string }> {
  const dot = await status.locator('.status__dot').evaluate((element) => getComputedStyle(element).backgroundColor)
  const theme = await page.evaluate(() => {
    const probe = document.createElement('span')
    document.body.append(probe)
    const colourOf = (variable: string) => {
      probe.style.backgroundColor = `var(${variable})`
      return getComputedStyle(probe).backgroundColor
    }
    const colours = { attention: colourOf('--attention'), error: colourOf('--error') }
    probe.remove()
    return colours
  })
  return { dot, ...theme }
}

test('the tray model main would render matches the screen, through a status change', async ({ app, oauthServer }) => {
  const empty = await app.trayModel()
  expect(empty.severity).toBe('ok')
  expect(empty.items.map((item) => ('label' in item ? item.label : ''))).toEqual(expect.arrayContaining(['No datasources yet', 'Open Datasource Desk', 'Quit']))

  await createDatasource(app.page, serverForm(oauthServer))
  await expect(row(app.page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'valid')
  const valid = await app.trayModel()
  expect(valid).toMatchObject({ severity: 'ok', attention: 0 })
  expect(datasourceItems(valid).map((item) => item.label)).toEqual([expect.stringMatching(new RegExp(`^CRM - Valid until ${clock}$`))])
  // Renew now lives in the datasource's own submenu: never two identical items at the top level.
  expect(datasourceItems(valid)[0]?.items.some((item) => item.kind === 'action' && item.label === 'Renew now')).toBe(true)
  expect(valid.items.some((item) => 'label' in item && item.label === 'Renew now')).toBe(false)

  // Break renewal, not the token: the password changes on the server and the refresh token is revoked.
  oauthServer.setUserPassword('ana|b=c+d/e&f g', 'changed on the server')
  oauthServer.revokeRefreshTokens()
  await row(app.page, 'CRM').click()
  await app.page.getByTestId('renew-now').click()
  const status = row(app.page, 'CRM').getByTestId('datasource-status')
  await expect(status).toHaveAttribute('data-kind', 'action-needed')

  // The token still works for an hour: the row says both, and it is amber, not red.
  await expect(status).toHaveAttribute('data-usability', 'valid')
  await expect(status).toHaveAttribute('data-renewal', 'needs-user')
  await expect(status).toHaveAttribute('data-tone', 'attention')
  await expect(status).toHaveText('Valid · password rejected')
  await expect(status).toHaveAttribute('title', new RegExp(`^Valid until ${clock} - renewal failing: password rejected$`))
  const colours = await dotColours(app.page, status)
  expect(colours.dot).toBe(colours.attention)
  expect(colours.dot).not.toBe(colours.error)

  // The Overview: usability and renewal apart, and the refused refresh token is not "Held".
  await expect(app.page.getByTestId('overview-usability')).toHaveAttribute('data-tone', 'attention')
  await expect(app.page.getByTestId('overview-usability')).toContainText(new RegExp(`Valid until ${clock}`))
  await expect(app.page.getByTestId('overview-renewal')).toHaveText('Renewal failing: password rejected')
  await expect(app.page.getByTestId('overview-refresh-token')).toHaveText('Not accepted by the server at the last renewal')
  await expect(app.page.getByTestId('status-action-needed')).toHaveClass(/callout--attention/)

  await expect.poll(async () => (await app.trayModel()).severity).toBe('attention')
  const broken = await app.trayModel()
  expect(broken.attention).toBe(1)
  expect(broken.tooltip).toBe('Datasource Desk - 1 needs you')
  const item = datasourceItems(broken)[0]!
  expect(item.label).toMatch(new RegExp(`^CRM - Valid until ${clock} - renewal failing: password rejected$`))

  // "Sign in..." opens the window on that datasource, wherever the window was.
  await app.page.keyboard.press('Escape')
  await expect(app.page.getByTestId('no-selection')).toBeVisible()
  const signIn = item.items.find((entry) => entry.kind === 'action' && entry.label === 'Sign in...')
  expect(signIn?.kind === 'action' && signIn.action).toEqual({ type: 'open', datasourceId: item.datasourceId })
  if (signIn?.kind !== 'action') throw new Error('no Sign in item')
  await app.runTrayAction(signIn.action)
  await expect(app.page.getByTestId('overview')).toBeVisible()
  await expect(app.page.getByTestId('sign-in-password')).toBeVisible()
  await expect(row(app.page, 'CRM').locator('[aria-current="true"]')).toHaveCount(1)
})

test('Sign in... puts the keyboard in the password box, also when that datasource is already open; typing and Enter sign in', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  oauthServer.setUserPassword('ana|b=c+d/e&f g', 'changed on the server')
  oauthServer.revokeRefreshTokens()
  await row(page, 'CRM').click()
  await page.getByTestId('renew-now').click()
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'action-needed')
  await expect.poll(async () => (await app.trayModel()).attention).toBe(1)
  const item = datasourceItems(await app.trayModel())[0]!
  const signIn = item.items.find((entry) => entry.kind === 'action' && entry.label === 'Sign in...')
  if (signIn?.kind !== 'action') throw new Error('no Sign in item')

  // From the list (nothing open): the Overview opens with the focus in its password box.
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('no-selection')).toBeVisible()
  await app.runTrayAction(signIn.action)
  await expect(page.getByTestId('sign-in-password')).toBeFocused()

  // The same datasource already open on another tab, focus elsewhere: the request still lands there.
  await page.getByTestId('tab-settings').click()
  await expect(page.getByTestId('tab-settings')).toBeFocused()
  await app.runTrayAction(signIn.action)
  const password = page.getByTestId('sign-in-password')
  await expect(password).toBeFocused()

  // Keyboard only from here: the new password, Enter.
  oauthServer.setUserPassword('ana|b=c+d/e&f g', 'the new password')
  await page.keyboard.type('the new password')
  await page.keyboard.press('Enter')
  await expect(row(page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'valid')
  await expect(page.getByTestId('sign-in-password')).toHaveCount(0)

  // Show in window for a datasource that needs nothing: the heading gets the focus, as on any open.
  const show = datasourceItems(await app.trayModel())[0]!.items.find((entry) => entry.kind === 'action' && entry.label === 'Show in window')
  if (show?.kind !== 'action') throw new Error('no Show in window item')
  await page.keyboard.press('Escape')
  await app.runTrayAction(show.action)
  await expect(page.locator('#editor-title')).toBeFocused()
})
