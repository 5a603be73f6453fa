import type { TrayModel } from '../../electron/core/tray-model'
import { expect, test } from './fixtures'
import { createDatasource, row, serverForm } from './form'

const statusLines = (model: TrayModel) => model.items.filter((item) => item.kind === 'status').map((item) => item.label)

test('the tray model main would render matches the screen, through a status change', async ({ app, oauthServer }) => {
  const empty = await app.trayModel()
  expect(empty.severity).toBe('ok')
  expect(empty.items.map((item) => ('label' in item ? item.label : ''))).toEqual(expect.arrayContaining(['No datasources yet', 'Open Datasource Desk', 'Quit']))

  await createDatasource(app.page, serverForm(oauthServer))
  await expect(row(app.page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'valid')
  const valid = await app.trayModel()
  expect(valid.severity).toBe('ok')
  expect(statusLines(valid)).toEqual([expect.stringMatching(/^CRM - valid, expires \d{1,2}:\d{2}( [AP]M)? \(in (59 min|60 min|1 h)\)$/)])
  expect(valid.items.some((item) => item.kind === 'action' && item.label === 'Renew now')).toBe(true)

  // Break it: the password changes on the server and the refresh token is revoked.
  oauthServer.setUserPassword('ana|b=c+d/e&f g', 'changed on the server')
  oauthServer.revokeRefreshTokens()
  await row(app.page, 'CRM').click()
  await app.page.getByTestId('renew-now').click()
  await expect(row(app.page, 'CRM').getByTestId('datasource-status')).toHaveAttribute('data-kind', 'action-needed')
  await expect.poll(async () => (await app.trayModel()).severity).toBe('error')
  expect(statusLines(await app.trayModel())[0]).toMatch(/^CRM - action needed/)
})
