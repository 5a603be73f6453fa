import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { datasourceView, FakeApi, tokenMeta } from '../../support/fake-api'
import DatasourceEditorView from '../../../renderer/src/views/DatasourceEditorView.vue'
import { useViewStore, type DetailTab } from '../../../renderer/src/stores/view-store'
import { useToastStore } from '../../../renderer/src/stores/toast-store'
import { clockPattern } from '../../support/clock-pattern'

let api: FakeApi
let pinia: Pinia
let wrapper: VueWrapper | null = null

beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  api = new FakeApi()
  window.api = api
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  document.body.innerHTML = ''
})

async function mountEditor(datasourceId: string | null = null, tab: DetailTab = 'settings'): Promise<VueWrapper> {
  wrapper = mount(DatasourceEditorView, { props: { datasourceId, tab }, global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

const byTestId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`)

async function fillValid(w: VueWrapper): Promise<void> {
  await byTestId(w, 'field-name').setValue('CRM')
  await byTestId(w, 'field-token-url').setValue('https://auth.example.com/token')
  await byTestId(w, 'field-client-id').setValue('desk')
  await byTestId(w, 'field-client-secret').setValue('s3cret')
  await byTestId(w, 'field-username').setValue('ada')
  await byTestId(w, 'field-password').setValue('pw')
}

describe('the datasource form', () => {
  it('shows the schema message under the token URL after typing a bad one, and marks it invalid', async () => {
    const w = await mountEditor()
    const tokenUrl = byTestId(w, 'field-token-url')
    await tokenUrl.setValue('http://auth.example.com/token')
    expect(w.text()).not.toContain('Use https://')
    await tokenUrl.trigger('blur')
    expect(tokenUrl.attributes('aria-invalid')).toBe('true')
    const describedBy = tokenUrl.attributes('aria-describedby') ?? ''
    const message = document.getElementById(describedBy.split(' ')[0] ?? '')
    expect(message?.textContent).toContain('Use https:// for the token URL')
    await tokenUrl.setValue('https://auth.example.com/token')
    expect(tokenUrl.attributes('aria-invalid')).toBeUndefined()
  })

  it('has the first-party note, the remember-password default and its explanation', async () => {
    const w = await mountEditor()
    expect(byTestId(w, 'grant-note').text()).toMatch(/first-party/)
    const remember = byTestId(w, 'field-remember-password').element as HTMLInputElement
    expect(remember.checked).toBe(true)
    expect(w.text()).toContain('Stored in the OS keychain so the app can get new tokens without asking')
    expect(byTestId(w, 'field-client-auth').findAll('option').map((o) => o.text())).toEqual([
      'HTTP Basic header',
      'HTTP Basic header (not form-encoded)',
      'Credentials in request body',
      'Public client (client ID in body, no secret)',
    ])
  })

  it('hides the OAuth fields for authentication None', async () => {
    const w = await mountEditor()
    await byTestId(w, 'field-auth-type').setValue('none')
    expect(byTestId(w, 'field-token-url').exists()).toBe(false)
  })

  it('adds and removes extra parameter rows', async () => {
    const w = await mountEditor()
    await byTestId(w, 'add-extra-param').trigger('click')
    await byTestId(w, 'add-extra-param').trigger('click')
    expect(w.findAll('[data-testid="extra-param-name"]')).toHaveLength(2)
    expect(document.activeElement).toBe(w.findAll('[data-testid="extra-param-name"]')[1]?.element)
    await w.findAll('[data-testid="remove-extra-param"]')[0]?.trigger('click')
    expect(w.findAll('[data-testid="extra-param-name"]')).toHaveLength(1)
  })

  it('shows stored placeholders when editing and sends the secrets as "keep"', async () => {
    const saved = datasourceView({ name: 'CRM' })
    api.seed(saved)
    const w = await mountEditor(saved.id)
    expect(byTestId(w, 'field-name').element).toHaveProperty('value', 'CRM')
    for (const id of ['field-client-secret', 'field-password']) {
      const input = byTestId(w, id)
      expect(input.attributes('placeholder')).toMatch(/Stored/)
      expect((input.element as HTMLInputElement).value).toBe('')
    }
    await byTestId(w, 'save').trigger('submit')
    await flushPromises()
    const [payload] = api.callsOf('saveDatasource') as Array<{ input: { auth: Record<string, unknown> } }>
    expect(payload?.input.auth.clientSecret).toEqual({ action: 'keep' })
    expect(payload?.input.auth.password).toEqual({ action: 'keep' })
    // Saved: the detail turns to the datasource's Overview.
    expect(useViewStore().current).toEqual({ name: 'editor', id: saved.id, tab: 'overview' })
  })

  it('sends a newly typed secret as "set"', async () => {
    const saved = datasourceView()
    api.seed(saved)
    const w = await mountEditor(saved.id)
    await byTestId(w, 'field-password').setValue('n3w')
    await w.find('form').trigger('submit')
    await flushPromises()
    // A changed password without a test: Save asks first.
    expect(api.callsOf('saveDatasource')).toEqual([])
    await byTestId(w, 'confirm-untested-save').trigger('click')
    await flushPromises()
    const [payload] = api.callsOf('saveDatasource') as Array<{ input: { auth: Record<string, unknown> } }>
    expect(payload?.input.auth.password).toEqual({ action: 'set', value: 'n3w' })
    expect(payload?.input.auth.clientSecret).toEqual({ action: 'keep' })
  })

  it('on submit with errors, shows them and focuses the first invalid field', async () => {
    const w = await mountEditor()
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.text()).toContain('Name is required')
    expect(document.activeElement).toBe(byTestId(w, 'field-name').element)
    expect(api.callsOf('saveDatasource')).toEqual([])
  })
})

describe('Test connection', () => {
  it('shows the success panel with expiry, type, scope difference, refresh token and the API check', async () => {
    api.testBehaviour = {
      kind: 'success',
      report: {
        token: tokenMeta({ grantedScope: 'read', requestedScope: 'read write', hasRefreshToken: false, expiresAt: Date.now() + 59 * 60_000 + 10_000 }),
        scopeDiffers: true,
        apiCheck: { method: 'GET', url: 'https://api.example.com/v1', status: 200, statusText: 'OK' },
      },
    }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    const panel = byTestId(w, 'test-result')
    expect(panel.attributes('data-outcome')).toBe('success')
    expect(panel.attributes('role')).toBe('status')
    expect(panel.text()).toContain('Valid access token')
    // "Expiry: 10:41 AM, in 59 min": the label says what it is, the value does not repeat it.
    expect(byTestId(w, 'test-expiry').text()).toMatch(new RegExp(`^${clockPattern}, in 59 min$`))
    expect(byTestId(w, 'scope-differs').text()).toContain('read write')
    expect(panel.text()).toContain('Not issued')
    expect(byTestId(w, 'api-check').text()).toBe('GET https://api.example.com/v1 → 200 OK')
  })

  it('says when the API refused the token with 401 and accepted a new one', async () => {
    api.testBehaviour = {
      kind: 'success',
      report: { apiCheck: { method: 'GET', url: 'https://api.example.com/v1', status: 200, statusText: 'OK', retriedAfter401: {} } },
    }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'api-check-retry').text()).toBe('The API refused the token (401); a new token was obtained and the API accepted it.')
    expect(byTestId(w, 'api-check').classes()).toContain('text-ok')
  })

  it('says when the API refused a new token with 401 too, with the hint, and not the plain 401 hint', async () => {
    api.testBehaviour = {
      kind: 'success',
      report: { apiCheck: { method: 'GET', url: 'https://api.example.com/v1', status: 401, statusText: 'Unauthorized', retriedAfter401: {} } },
    }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'api-check-retry').text()).toMatch(/^The API refused the token \(401\) and a new one as well: it may expect another scope or audience \(see Scope and Extra parameters\)/)
    expect(w.find('[data-testid="api-check-hint"]').exists()).toBe(false)
  })

  it('says the expiry is not given when the server sent none', async () => {
    api.testBehaviour = { kind: 'success', report: { token: tokenMeta({ expiresAt: null }) } }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'test-expiry').text()).toBe('none given: the server sent no expires_in')
  })

  it('shows the failure panel with the message, hint and OAuth details', async () => {
    api.testBehaviour = {
      kind: 'failure',
      error: {
        kind: 'oauth',
        code: 'invalid_client',
        message: 'The server did not accept the client credentials.',
        hint: 'Check the client ID and client secret.',
        errorDescription: 'Bad client secret',
        errorUri: 'https://auth.example.com/docs/errors#invalid_client',
        httpStatus: 401,
      },
    }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    const panel = byTestId(w, 'test-result')
    expect(panel.attributes('data-outcome')).toBe('failure')
    expect(panel.attributes('role')).toBe('alert')
    expect(panel.text()).toContain('The server did not accept the client credentials.')
    expect(panel.text()).toContain('Check the client ID and client secret.')
    expect(byTestId(w, 'oauth-error-code').text()).toBe('invalid_client')
    expect(panel.text()).toContain('Bad client secret')
    expect(panel.text()).toContain('https://auth.example.com/docs/errors#invalid_client')
    expect(panel.text()).toContain('401')
    // The error URI is shown, not made into a link the app would navigate to.
    expect(panel.find('a').exists()).toBe(false)
  })

  it('after invalid_client offers to try the other methods and switches to the accepted one in one step', async () => {
    api.testBehaviour = { kind: 'failure', error: { kind: 'oauth', code: 'invalid_client', message: 'The server did not accept the client credentials.' } }
    api.negotiation = {
      accepted: 'body',
      attempts: [{ method: 'body' }],
      report: { testId: '0b5d6c9e-2f1a-4e3b-8c7d-6a5b4c3d2e1f', token: tokenMeta(), scopeDiffers: false, apiCheck: null },
    }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    await byTestId(w, 'try-other-auth').trigger('click')
    await flushPromises()
    expect(api.calls.map((call) => call.method)).toContain('tryOtherClientAuth')
    expect(byTestId(w, 'negotiation-accepted').text()).toContain('Credentials in request body')
    await byTestId(w, 'use-accepted-auth').trigger('click')
    await flushPromises()
    expect((byTestId(w, 'field-client-auth').element as HTMLSelectElement).value).toBe('body')
    expect(byTestId(w, 'test-result').attributes('data-outcome')).toBe('success')
  })

  it('Discover fills the token URL and a supported client authentication method, and warns when password is not listed', async () => {
    api.discovery = {
      ok: true,
      value: {
        issuer: 'https://sso.example.com/realms/acme',
        source: 'openid-configuration',
        tokenEndpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/token',
        revocationEndpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/revoke',
        grantTypes: ['authorization_code', 'refresh_token'],
        clientAuthMethods: ['client_secret_post'],
        discoveredAt: 0,
      },
    }
    const w = await mountEditor()
    await byTestId(w, 'field-issuer').setValue('https://sso.example.com/realms/acme')
    await byTestId(w, 'discover').trigger('click')
    await flushPromises()
    expect(api.calls.find((call) => call.method === 'discoverIssuer')?.payload).toEqual({ issuer: 'https://sso.example.com/realms/acme' })
    expect((byTestId(w, 'field-token-url').element as HTMLInputElement).value).toBe('https://sso.example.com/realms/acme/protocol/openid-connect/token')
    expect((byTestId(w, 'field-client-auth').element as HTMLSelectElement).value).toBe('body')
    expect(byTestId(w, 'discovery-result').text()).toContain('/protocol/openid-connect/revoke')
    expect(byTestId(w, 'discovery-no-password-grant').exists()).toBe(true)
  })

  it('a preset fills the URL template, client auth, scope and required parameters, all still editable', async () => {
    const w = await mountEditor()
    await byTestId(w, 'field-preset').setValue('entra')
    await flushPromises()
    expect((byTestId(w, 'field-token-url').element as HTMLInputElement).value).toBe('https://login.microsoftonline.com/{tenant-id}/oauth2/v2.0/token')
    expect((byTestId(w, 'field-client-auth').element as HTMLSelectElement).value).toBe('body')
    expect(byTestId(w, 'preset-hint').text()).toContain('MFA')
    await byTestId(w, 'field-token-url').setValue('https://login.microsoftonline.com/contoso/oauth2/v2.0/token')
    expect((byTestId(w, 'field-token-url').element as HTMLInputElement).value).toContain('contoso')
  })

  it('does not offer other methods for a refusal that is not about the client', async () => {
    api.testBehaviour = { kind: 'failure', error: { kind: 'oauth', code: 'invalid_grant', message: 'The server did not accept the username or password.' } }
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'try-other-auth').exists()).toBe(false)
  })

  it('is busy while running and can be cancelled', async () => {
    api.testBehaviour = { kind: 'hang' }
    const w = await mountEditor()
    await fillValid(w)
    ;(byTestId(w, 'test-connection').element as HTMLElement).focus()
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    // Keyboard focus moves from the now-disabled button to Cancel, and back after a cancel.
    expect(document.activeElement).toBe(byTestId(w, 'cancel-test').element)
    const button = byTestId(w, 'test-connection')
    expect(button.attributes('disabled')).toBeDefined()
    expect(button.attributes('aria-busy')).toBe('true')
    expect(byTestId(w, 'test-progress').exists()).toBe(true)
    await byTestId(w, 'cancel-test').trigger('click')
    await flushPromises()
    expect(api.callsOf('cancelTest')).toHaveLength(1)
    expect(byTestId(w, 'cancel-test').exists()).toBe(false)
    expect(byTestId(w, 'test-result').exists()).toBe(false)
    expect(byTestId(w, 'test-cancelled').exists()).toBe(true)
    expect(byTestId(w, 'test-connection').attributes('disabled')).toBeUndefined()
    expect(document.activeElement).toBe(byTestId(w, 'test-connection').element)
  })

  it('sends a valid testId and saves with it', async () => {
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    const [testPayload] = api.callsOf('testConnection') as Array<{ testId: string }>
    expect(testPayload?.testId).toMatch(/^[0-9a-f-]{36}$/)
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('saveDatasource')).toEqual([expect.objectContaining({ testId: testPayload?.testId })])
  })
})

describe('leaving the form', () => {
  it('goes straight back when nothing changed', async () => {
    const saved = datasourceView({ name: 'CRM' })
    api.seed(saved)
    const w = await mountEditor(saved.id)
    useViewStore().openEditor(saved.id)
    await byTestId(w, 'back').trigger('click')
    expect(document.querySelector('[data-testid="confirm-discard"]')).toBeNull()
    expect(useViewStore().current).toEqual({ name: 'list' })
  })

  it('asks before throwing away edits; Cancel stays, Discard leaves without saving', async () => {
    const saved = datasourceView({ name: 'CRM' })
    api.seed(saved)
    const w = await mountEditor(saved.id)
    useViewStore().openEditor(saved.id, 'settings')
    await byTestId(w, 'field-name').setValue('CRM renamed')
    await byTestId(w, 'back').trigger('click')
    expect(document.querySelector('[data-testid="confirm-discard"]')).not.toBeNull()
    ;(document.querySelector('[data-testid="cancel-dialog"]') as HTMLButtonElement).click()
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'editor', id: saved.id, tab: 'settings' })

    await byTestId(w, 'back').trigger('click')
    ;(document.querySelector('[data-testid="confirm-discard"]') as HTMLButtonElement).click()
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'list' })
    expect(api.callsOf('saveDatasource')).toEqual([])
  })
})

describe('deleting', () => {
  it('asks first; Escape cancels and returns focus; confirming deletes and goes back', async () => {
    const saved = datasourceView({ name: 'CRM' })
    api.seed(saved)
    const w = await mountEditor(saved.id, 'overview')
    const deleteButton = byTestId(w, 'delete')
    ;(deleteButton.element as HTMLElement).focus()
    await deleteButton.trigger('click')
    await flushPromises()
    const dialog = w.find('[role="alertdialog"]')
    expect(dialog.attributes('aria-modal')).toBe('true')
    expect(dialog.text()).toContain('Delete “CRM”?')
    expect(document.activeElement).toBe(byTestId(w, 'cancel-dialog').element)

    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(w.find('[role="alertdialog"]').exists()).toBe(false)
    expect(document.activeElement).toBe(byTestId(w, 'delete').element)
    expect(api.callsOf('deleteDatasource')).toEqual([])

    await byTestId(w, 'delete').trigger('click')
    await flushPromises()
    await byTestId(w, 'confirm-delete').trigger('click')
    await flushPromises()
    expect(api.callsOf('deleteDatasource')).toEqual([{ id: saved.id }])
    expect(api.datasources.size).toBe(0)
    expect(useViewStore().current).toEqual({ name: 'list' })
  })

  it('says in the dialog that the tokens are revoked at the server, and in the toast what the server did', async () => {
    const saved = datasourceView({ name: 'CRM' })
    const auth = saved.auth.type === 'oauth2-password' ? saved.auth : null
    const discovery = { issuer: 'https://auth.example.com', source: 'oauth-authorization-server' as const, tokenEndpoint: auth!.tokenUrl, revocationEndpoint: 'https://auth.example.com/oauth/revoke', discoveredAt: 0 }
    api.seed({ ...saved, auth: { ...auth!, discovery } })
    api.revocationOnDelete = { host: 'auth.example.com', revoked: ['refresh-token', 'access-token'] }
    const w = await mountEditor(saved.id, 'overview')
    await byTestId(w, 'delete').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'delete-revocation-note').text()).toContain('revoked at auth.example.com')
    await byTestId(w, 'confirm-delete').trigger('click')
    await flushPromises()
    expect(useToastStore().toasts.map((toast) => toast.text)).toContain('Deleted “CRM”. Revoked the refresh token and the access token at auth.example.com.')
  })

  it('does not mention revocation for a server that advertises none', async () => {
    const saved = datasourceView({ name: 'CRM' })
    api.seed(saved)
    const w = await mountEditor(saved.id, 'overview')
    await byTestId(w, 'delete').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="delete-revocation-note"]').exists()).toBe(false)
    await byTestId(w, 'confirm-delete').trigger('click')
    await flushPromises()
    expect(useToastStore().toasts.map((toast) => toast.text)).toContain('Deleted “CRM”.')
  })

  it('keeps Tab inside the dialog', async () => {
    const saved = datasourceView()
    api.seed(saved)
    const w = await mountEditor(saved.id, 'overview')
    await byTestId(w, 'delete').trigger('click')
    await flushPromises()
    const confirm = byTestId(w, 'confirm-delete').element as HTMLElement
    confirm.focus()
    const tab = new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true })
    document.dispatchEvent(tab)
    expect(tab.defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(byTestId(w, 'cancel-dialog').element)
  })
})

describe('the form puts results and errors where the eyes are', () => {
  it('moves focus to the result and marks the field a rejected password is about', async () => {
    api.testBehaviour = { kind: 'failure', error: { kind: 'oauth', code: 'invalid_grant', message: 'The server did not accept the username or password (invalid_grant).' } }
    const w = await mountEditor()
    await fillValid(w)
    ;(byTestId(w, 'test-connection').element as HTMLElement).focus()
    await byTestId(w, 'test-connection').trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(byTestId(w, 'test-result').element)
    expect(byTestId(w, 'test-summary').text()).toContain('did not accept the username or password')
    expect(byTestId(w, 'field-password').attributes('aria-invalid')).toBe('true')
    expect(byTestId(w, 'field-username').attributes('aria-invalid')).toBeUndefined()
    await byTestId(w, 'field-password').setValue('another')
    expect(byTestId(w, 'field-password').attributes('aria-invalid')).toBeUndefined()
  })

  it('reveals a typed secret on request, and offers no reveal for a stored one', async () => {
    const saved = datasourceView()
    api.seed(saved)
    const w = await mountEditor(saved.id)
    expect(byTestId(w, 'reveal-field-password').exists()).toBe(false)
    await byTestId(w, 'field-password').setValue('typed')
    expect(byTestId(w, 'field-password').attributes('type')).toBe('password')
    await byTestId(w, 'reveal-field-password').trigger('click')
    expect(byTestId(w, 'field-password').attributes('type')).toBe('text')
    await byTestId(w, 'field-password').setValue('')
    expect(byTestId(w, 'field-password').attributes('type')).toBe('password')
    expect(byTestId(w, 'reveal-field-password').exists()).toBe(false)
  })

  it('asks before saving untested settings, and can run the test from the question', async () => {
    const w = await mountEditor()
    await fillValid(w)
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('saveDatasource')).toEqual([])
    await byTestId(w, 'dialog-test').trigger('click')
    await flushPromises()
    expect(api.callsOf('testConnection')).toHaveLength(1)
    expect(byTestId(w, 'confirm-untested-save').exists()).toBe(false)
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('saveDatasource')).toHaveLength(1)
  })

  it('Enter in a field tests untested changes instead of saving them; Ctrl+S saves, Ctrl+Enter tests', async () => {
    const w = await mountEditor()
    await fillValid(w)
    await byTestId(w, 'field-username').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(api.callsOf('testConnection')).toHaveLength(1)
    expect(api.callsOf('saveDatasource')).toEqual([])
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }))
    await flushPromises()
    expect(api.callsOf('testConnection')).toHaveLength(2)
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 's', ctrlKey: true, bubbles: true, cancelable: true }))
    await flushPromises()
    expect(api.callsOf('saveDatasource')).toHaveLength(1)
  })
})
