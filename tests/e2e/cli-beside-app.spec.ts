/**
 * Issue 12, "processes stay in step": the built `datasource-desk` command works on the same data
 * folder and keychain service while the app runs. Nobody touches the window: what the command adds,
 * edits and removes reaches the list by itself (the app follows other processes' commits), and a
 * short-lived token the command stored is renewed by the app, which a command that has exited cannot do.
 */
import { CONFIDENTIAL_CLIENT, TEST_USER } from '../support/oauth-server'
import { ensureCliBuilt, runCli, type CliResult } from '../support/cli-runner'
import { expect, test, type AppHarness } from './fixtures'
import { row } from './form'

/** Generous: the app looks for other processes' commits every 1.5 s; the machine is shared. */
const FOLLOWS_WITHIN = { timeout: 15_000 }

function command(app: AppHarness, args: ReadonlyArray<string>, input?: string): Promise<CliResult> {
  return runCli(args, { input, env: { DATASOURCE_DESK_DATA_DIR: app.dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: app.keychainService } })
}

const expiresAt = async (status: import('@playwright/test').Locator) => Number(await status.getAttribute('data-expires-at'))

test.beforeAll(async () => {
  await ensureCliBuilt()
})

test('a datasource added by the command while the app runs shows in the window and the app renews it; edit and remove follow', async ({ app, oauthServer }) => {
  await expect(app.page.getByTestId('datasource-row')).toHaveCount(0)
  // Three seconds: the app has to renew it before long; the command has exited by then.
  oauthServer.setTokenLifetime(3)
  oauthServer.resetCounts()
  const added = await command(
    app,
    ['add', 'CRM', '--url', oauthServer.apiUrl, '--token-url', oauthServer.tokenUrl, '--client-id', CONFIDENTIAL_CLIENT.id, '--username', TEST_USER.username, '--scope', 'read', '--client-secret-stdin', '--password-stdin'],
    `${CONFIDENTIAL_CLIENT.secret}\n${TEST_USER.password}\n`,
  )
  expect(added.stderr).not.toMatch(/error/i)
  expect(added.code).toBe(0)
  expect(oauthServer.counts.passwordGrants).toBe(1)
  expect(oauthServer.counts.refreshGrants).toBe(0)

  const status = row(app.page, 'CRM').getByTestId('datasource-status')
  await expect(status).toBeVisible(FOLLOWS_WITHIN)
  await expect.poll(() => expiresAt(status), FOLLOWS_WITHIN).toBeGreaterThan(0)
  const storedByCommand = await expiresAt(status)

  // Only the app is running now: a later expiry on screen is a renewal the app made and showed.
  await expect.poll(() => expiresAt(status), FOLLOWS_WITHIN).toBeGreaterThan(storedByCommand)
  expect(oauthServer.counts.refreshGrants).toBeGreaterThanOrEqual(1)
  await expect(status).toHaveAttribute('data-kind', /valid|expiring-soon|renewing/)

  oauthServer.setTokenLifetime(3600)
  const edited = await command(app, ['edit', 'CRM', '--name', 'CRM (staging)'])
  expect(edited.code).toBe(0)
  await expect(row(app.page, 'CRM (staging)')).toBeVisible(FOLLOWS_WITHIN)
  await expect(row(app.page, 'CRM')).toHaveCount(0)

  const removed = await command(app, ['remove', 'CRM (staging)', '--yes'])
  expect(removed.code).toBe(0)
  await expect(app.page.getByTestId('datasource-row')).toHaveCount(0, FOLLOWS_WITHIN)
})
