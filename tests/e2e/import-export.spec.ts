import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIDENTIAL_CLIENT, TEST_USER } from '../support/oauth-server'
import { storedSecret } from '../support/stored-secrets'
import { expectAccessible } from './a11y'
import { expect, test } from './fixtures'
import { createDatasource, row, serverForm } from './form'

test.describe.configure({ timeout: 120_000 })

interface ExportFile {
  format: string
  version: number
  datasources: Array<{ name: string; url: string; auth: Record<string, unknown> }>
}

const readExport = (path: string): ExportFile => JSON.parse(readFileSync(path, 'utf8')) as ExportFile

test('export all to a file without secrets, then import it back: preview, add only the new one, enter its secrets', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  await createDatasource(page, serverForm(oauthServer, { name: 'Billing' }))
  const crmId = await page.evaluate(async () => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string; name: string }> }).value.find((d) => d.name === 'CRM')?.id ?? '')
  const crmToken = (await storedSecret(app.dataDir, app.secretStore, crmId, 'access-token')) ?? ''
  expect(crmToken.length).toBeGreaterThan(10)

  // A cancelled save dialog writes nothing and says nothing.
  await app.answerFileDialog('save', null)
  await page.getByTestId('export-all').click()
  await expect.poll(() => app.dialogsShown.length).toBe(1)
  await expect(page.getByTestId('toast')).toHaveCount(0)

  const file = join(app.dataDir, 'desk export.json')
  await app.answerFileDialog('save', file)
  await page.getByTestId('export-all').click()
  await expect(page.getByTestId('toast')).toContainText(`Exported 2 datasources to ${file}`)
  expect(app.dialogsShown.at(-1)).toEqual({ kind: 'save', suggestedName: 'datasource-desk-export.json' })
  const exported = readExport(file)
  expect(exported.datasources.map((entry) => entry.name)).toEqual(['Billing', 'CRM'])
  const text = readFileSync(file, 'utf8')
  for (const secret of [CONFIDENTIAL_CLIENT.secret, TEST_USER.password, crmToken]) expect(text).not.toContain(secret)

  // The same file as a colleague would send it back: one more datasource, CRM with another scope.
  exported.datasources.push({ ...exported.datasources[1]!, name: 'CRM (staging)' })
  exported.datasources[1]!.auth.scope = 'read write'
  writeFileSync(file, JSON.stringify(exported))
  await app.answerFileDialog('open', file)
  await page.getByTestId('import').click()
  const preview = page.getByTestId('import-preview')
  await expect(preview.getByTestId('import-entry')).toHaveCount(3)
  await expect(page.getByTestId('import-summary')).toContainText('3 datasources in the file: 1 new, 1 with other settings than yours of that name, 1 the same as yours')
  await expect(preview.locator('[data-action="add"]')).toContainText('CRM (staging)')
  await expect(preview.locator('[data-action="replace"]')).toContainText('CRM')
  await expect(preview.locator('[data-action="unchanged"]')).toContainText('Billing')
  await expect(page.getByTestId('import-replace-warning')).toBeVisible()
  await expect(page.getByTestId('import-confirm')).toHaveText('Add 1 and replace 1')
  await expectAccessible(page, 'the import preview')

  // Only the new one: the existing CRM keeps its settings and its token.
  await page.getByTestId('import-new-only').click()
  await expect(row(page, 'CRM (staging)')).toBeVisible()
  await expect(page.getByTestId('datasource-row')).toHaveCount(3)
  expect(await storedSecret(app.dataDir, app.secretStore, crmId, 'access-token')).toBe(crmToken)

  // The next step is right there: the new datasource's secrets are asked in the dialog itself,
  // never pre-filled, with a Show toggle, and saved with a token as Settings would.
  const entry = page.getByTestId('import-need-secrets').locator('[data-testid="import-secrets-entry"][data-name="CRM (staging)"]')
  await expect(entry).toBeVisible()
  const clientSecret = entry.getByTestId('import-secret-clientSecret')
  const password = entry.getByTestId('import-secret-password')
  await expect(clientSecret).toHaveValue('')
  await expect(password).toHaveValue('')
  await expect(entry.getByTestId('import-secrets-save')).toBeDisabled()
  await expectAccessible(page, 'the needs-secrets dialog')
  await clientSecret.fill(CONFIDENTIAL_CLIENT.secret)
  await expect(clientSecret).toHaveAttribute('type', 'password')
  await entry.getByTestId('reveal-import-secret-clientSecret').click()
  await expect(clientSecret).toHaveAttribute('type', 'text')
  await entry.getByTestId('reveal-import-secret-clientSecret').click()
  await expect(clientSecret).toHaveAttribute('type', 'password')

  // A wrong password: the server's answer, and nothing saved yet.
  await password.fill('not the password')
  await password.press('Enter')
  await expect(entry.getByTestId('import-secrets-error')).toContainText(/username or password/i)
  await expect(entry.getByTestId('import-secrets-save-untested')).toBeVisible()
  await expectAccessible(page, 'a refused secret in the import dialog')
  await password.fill(TEST_USER.password)
  await entry.getByTestId('import-secrets-save').click()
  await expect(entry.getByTestId('import-secrets-saved')).toHaveText('Saved with a new token.')
  await expect(row(page, 'CRM (staging)').getByTestId('datasource-status')).toHaveAttribute('data-kind', /valid/)
  const stagingId = await page.evaluate(async () => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string; name: string }> }).value.find((item) => item.name === 'CRM (staging)')?.id ?? '')
  expect(await storedSecret(app.dataDir, app.secretStore, stagingId, 'password')).toBe(TEST_USER.password)
  expect(await storedSecret(app.dataDir, app.secretStore, stagingId, 'client-secret')).toBe(CONFIDENTIAL_CLIENT.secret)
  await page.getByTestId('import-secrets-done').click()
  await expect(page.getByTestId('import-need-secrets')).toHaveCount(0)

  // Nothing the window received carried a secret.
  expect(JSON.stringify(app.sentToRenderer)).not.toContain(crmToken)
  expect(JSON.stringify(app.sentToRenderer)).not.toContain(CONFIDENTIAL_CLIENT.secret)
})

test('import is all or nothing, and replacing asks first; a token URL on another server drops the stored secrets', async ({ app, oauthServer }) => {
  const { page } = app
  await createDatasource(page, serverForm(oauthServer))
  const file = join(app.dataDir, 'incoming.json')
  const good = { name: 'Warehouse', url: oauthServer.apiUrl, auth: { type: 'none' } }

  // One bad entry refuses the whole file, saying which one and why.
  writeFileSync(file, JSON.stringify({ format: 'datasource-desk/datasources', version: 1, datasources: [good, { name: 'Broken', url: 'ftp://nope', auth: { type: 'none' } }] }))
  await app.answerFileDialog('open', file)
  await page.getByTestId('import').click()
  await expect(page.getByTestId('toast').filter({ hasText: /incoming\.json: Datasource 2 \("Broken"\), field url: .*nothing was imported/ })).toBeVisible()
  await expect(page.getByTestId('import-preview')).toHaveCount(0)
  await expect(page.getByTestId('datasource-row')).toHaveCount(1)

  // Not an export at all.
  writeFileSync(file, '{"hello": "world"}')
  await app.answerFileDialog('open', file)
  await page.getByTestId('import').click()
  await expect(page.getByTestId('toast').filter({ hasText: 'incoming.json: The file to import is not a Datasource Desk export.' })).toBeVisible()

  // CRM's token URL moved to another origin (same server, another host name for it).
  const moved = oauthServer.tokenUrl.replace('127.0.0.1', 'localhost')
  const crm = { name: 'CRM', url: oauthServer.apiUrl, auth: { type: 'oauth2-password', tokenUrl: moved, clientId: CONFIDENTIAL_CLIENT.id, clientAuth: 'basic', username: TEST_USER.username, rememberPassword: true, scope: 'read', extraParams: [] } }
  writeFileSync(file, JSON.stringify({ format: 'datasource-desk/datasources', version: 1, datasources: [crm] }))
  await app.answerFileDialog('open', file)
  await page.getByTestId('import').click()
  await expect(page.getByTestId('import-secrets-dropped')).toContainText('removed, not sent there')
  await expect(page.getByTestId('import-confirm')).toHaveText('Replace 1')
  // Cancel changes nothing.
  await page.getByTestId('cancel-dialog').click()
  await expect(page.getByTestId('import-preview')).toHaveCount(0)
  await row(page, 'CRM').click()
  await expect(page.getByTestId('overview-usability')).toContainText(/valid until/i)

  await app.answerFileDialog('open', file)
  await page.getByTestId('import').click()
  await page.getByTestId('import-confirm').click()
  await expect(page.getByTestId('import-need-secrets')).toContainText('CRM')
  await page.getByTestId('cancel-dialog').click()
  // The Overview names what is missing and where to enter it.
  await expect(page.getByTestId('status-needs-secrets')).toContainText('No client secret or password stored yet')
  const id = await page.evaluate(async () => ((await window.api.listDatasources({})) as unknown as { value: Array<{ id: string }> }).value[0]?.id ?? '')
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'client-secret')).toBeNull()
  expect(await storedSecret(app.dataDir, app.secretStore, id, 'password')).toBeNull()
})
