import type { Page } from '@playwright/test'
import { CONFIDENTIAL_CLIENT, TEST_USER, type OAuthTestServer } from '../support/oauth-server'
import { expect } from './fixtures'

export interface DeskMix {
  /** Tested and saved with a token. */
  readonly valid: number
  /** Saved with a password the server rejects, then renewed: renewal stops and needs the user. */
  readonly rejected: number
  /** Saved without a test: no token yet. */
  readonly untested: number
  /** No authentication at all. */
  readonly noAuth: number
}

const teams = ['Billing', 'CRM', 'Warehouse', 'Analytics', 'Payroll', 'Support', 'Search', 'Inventory', 'Shipping', 'Identity']

/**
 * Fills the desk through the same window.api the renderer uses (the real core behind it), then
 * reloads so the list shows them all. Names are distinct and realistic: "CRM 3 (staging)".
 */
export async function seedDesk(page: Page, server: OAuthTestServer, mix: DeskMix): Promise<void> {
  const before = await page.getByTestId('datasource-row').count()
  const base = { url: server.apiUrl, tokenUrl: server.tokenUrl, clientId: CONFIDENTIAL_CLIENT.id, clientSecret: CONFIDENTIAL_CLIENT.secret, username: TEST_USER.username, password: TEST_USER.password }
  await page.evaluate(
    async ({ mix, base, teams }) => {
      const oauth = (password: string) => ({
        type: 'oauth2-password' as const,
        tokenUrl: base.tokenUrl,
        clientId: base.clientId,
        clientSecret: { action: 'set' as const, value: base.clientSecret },
        clientAuth: 'basic' as const,
        username: base.username,
        password: { action: 'set' as const, value: password },
        rememberPassword: true,
        scope: 'read',
        extraParams: [],
      })
      let n = 0
      const name = () => {
        const team = teams[n % teams.length]
        const stage = ['production', 'staging', 'test', 'eu', 'us'][Math.floor(n / teams.length) % 5]
        n += 1
        return `${team} (${stage})`
      }
      const must = <T,>(result: { ok: boolean; value?: T; error?: { message: string } }): T => {
        if (!result.ok) throw new Error(result.error?.message ?? 'failed')
        return result.value as T
      }
      for (let i = 0; i < mix.valid; i++) {
        const input = { name: name(), url: base.url, auth: oauth(base.password) }
        const testId = crypto.randomUUID()
        must(await window.api.testConnection({ testId, input }))
        must(await window.api.saveDatasource({ input, testId }))
      }
      for (let i = 0; i < mix.rejected; i++) {
        const saved = must<{ id: string }>(await window.api.saveDatasource({ input: { name: name(), url: base.url, auth: oauth('an old password') } }))
        await window.api.renewNow({ id: saved.id })
      }
      for (let i = 0; i < mix.untested; i++) must(await window.api.saveDatasource({ input: { name: name(), url: base.url, auth: oauth(base.password) } }))
      for (let i = 0; i < mix.noAuth; i++) must(await window.api.saveDatasource({ input: { name: name(), url: base.url, auth: { type: 'none' } } }))
    },
    { mix, base, teams },
  )
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('datasource-row')).toHaveCount(before + mix.valid + mix.rejected + mix.untested + mix.noAuth)
}
