import type { Locator, Page } from '@playwright/test'
import { CONFIDENTIAL_CLIENT, TEST_USER, type OAuthTestServer } from '../support/oauth-server'
import { expect } from './fixtures'

export interface OAuthFormValues {
  readonly name: string
  readonly url?: string
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly clientAuth?: 'basic' | 'basic-raw' | 'body' | 'none'
  readonly username: string
  readonly password: string
  readonly scope?: string
}

/** The test OAuth server's confidential client and user, whose secrets contain | = + / & and space. */
export function serverForm(server: OAuthTestServer, overrides: Partial<OAuthFormValues> = {}): OAuthFormValues {
  return {
    name: 'CRM',
    url: server.apiUrl,
    tokenUrl: server.tokenUrl,
    clientId: CONFIDENTIAL_CLIENT.id,
    clientSecret: CONFIDENTIAL_CLIENT.secret,
    username: TEST_USER.username,
    password: TEST_USER.password,
    scope: 'read',
    ...overrides,
  }
}

/** Fills the datasource form the way a user does: click a field, type. */
export async function fillOAuthForm(page: Page, values: OAuthFormValues): Promise<void> {
  await page.getByTestId('field-name').fill(values.name)
  if (values.url !== undefined) await page.getByTestId('field-url').fill(values.url)
  await page.getByTestId('field-auth-type').selectOption('oauth2-password')
  await page.getByTestId('field-token-url').fill(values.tokenUrl)
  await page.getByTestId('field-client-id').fill(values.clientId)
  await page.getByTestId('field-client-secret').fill(values.clientSecret)
  if (values.clientAuth) await page.getByTestId('field-client-auth').selectOption(values.clientAuth)
  await page.getByTestId('field-username').fill(values.username)
  await page.getByTestId('field-password').fill(values.password)
  if (values.scope !== undefined) await page.getByTestId('field-scope').fill(values.scope)
}

export function row(page: Page, name: string): Locator {
  return page.locator(`[data-testid="datasource-row"][data-name="${name}"]`)
}

/** Runs Test connection and waits for its outcome. */
export async function testConnection(page: Page, outcome: 'success' | 'failure'): Promise<Locator> {
  await page.getByTestId('test-connection').click()
  const result = page.getByTestId('test-result')
  await expect(result).toHaveAttribute('data-outcome', outcome)
  return result
}

/** Creates, tests and saves a datasource from the list screen; returns to the list. */
export async function createDatasource(page: Page, values: OAuthFormValues): Promise<void> {
  await page.getByTestId('new-datasource').first().click()
  await fillOAuthForm(page, values)
  await testConnection(page, 'success')
  await page.getByTestId('save').click()
  await expect(row(page, values.name)).toBeVisible()
}
