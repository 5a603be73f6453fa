import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { datasourceView, FakeApi, tokenMeta, tokenStatus } from '../../support/fake-api'
import App from '../../../renderer/src/App.vue'
import TokenStatusBadge from '../../../renderer/src/components/TokenStatusBadge.vue'
import { useViewStore } from '../../../renderer/src/stores/view-store'
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
  vi.useRealTimers()
  document.body.innerHTML = ''
})

function mountApp(): VueWrapper {
  wrapper = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
  return wrapper
}

const byTestId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`)

describe('the datasource list', () => {
  it('marks the app loading, then ready after the first load', async () => {
    const w = mountApp()
    expect(w.attributes('data-app-state')).toBe('loading')
    await flushPromises()
    expect(w.attributes('data-app-state')).toBe('ready')
  })

  it('explains what to do when there are no datasources, with one New datasource button', async () => {
    const w = mountApp()
    await flushPromises()
    expect(byTestId(w, 'empty-state').text()).toContain('No datasources yet')
    expect(w.findAll('[data-testid="new-datasource"]')).toHaveLength(1)
    await byTestId(w, 'new-datasource').trigger('click')
    expect(useViewStore().current).toEqual({ name: 'editor', id: null })
  })

  it('lists rows with name, URL, authentication and live token status', async () => {
    const now = Date.now()
    const crm = datasourceView({ name: 'CRM', url: 'https://crm.example.com/api' })
    api.seed(
      { ...crm, status: tokenStatus(crm.id, { token: tokenMeta({ obtainedAt: now, expiresAt: now + 59 * 60_000 + 10_000 }) }) },
      datasourceView({ name: 'Open data', auth: { type: 'none' } }),
    )
    const w = mountApp()
    await flushPromises()
    const rows = w.findAll('[data-testid="datasource-row"]')
    expect(rows.map((row) => row.attributes('data-name'))).toEqual(['CRM', 'Open data'])
    // What tells datasources apart: the user and the token host, not the auth type on every row.
    expect(rows[0]?.text()).toContain('ada @ auth.example.com')
    expect(rows[0]?.text()).not.toContain('OAuth2 - Password')
    expect(rows[1]?.text()).toContain('No authentication')
    expect(rows[0]?.find('[data-testid="datasource-status"]').text()).toBe('Valid · in 59 min')
    // The whole sentence, both dimensions, is the row's title.
    expect(rows[0]?.find('[data-testid="datasource-status"]').attributes('title')).toMatch(new RegExp(`^Valid until ${clockPattern} - renew`))
    expect(rows[1]?.find('[data-testid="datasource-status"]').text()).toBe('No authentication')
    expect(rows[1]?.find('[data-testid="renew-now"]').exists()).toBe(false)
    expect(byTestId(w, 'empty-state').exists()).toBe(false)
  })

  it('updates a row when a status event arrives', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
    await flushPromises()
    expect(byTestId(w, 'datasource-status').text()).toBe('Not connected')
    api.emit('statusChanged', tokenStatus(crm.id, { state: 'renewing', updatedAt: Date.now() + 1 }))
    await flushPromises()
    expect(byTestId(w, 'datasource-status').attributes('data-kind')).toBe('renewing')
  })

  it('opens the datasource a tray item or notification asks for, on its Overview', async () => {
    const crm = datasourceView({ name: 'CRM' })
    const erp = datasourceView({ name: 'ERP' })
    api.seed(crm, erp)
    const w = mountApp()
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'list' })
    api.emit('openDatasource', { id: erp.id })
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'editor', id: erp.id, tab: 'overview' })
    expect(byTestId(w, 'overview').exists()).toBe(true)
  })

  it('opens a datasource on click', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
    await flushPromises()
    await byTestId(w, 'datasource-row').trigger('click')
    await flushPromises()
    // It opens on the Overview; Settings holds the form and History the events.
    expect(useViewStore().current).toEqual({ name: 'editor', id: crm.id, tab: 'overview' })
    expect(byTestId(w, 'overview').exists()).toBe(true)
    expect(byTestId(w, 'datasource-row').find('[aria-current="true"]').exists()).toBe(true)
    await byTestId(w, 'tab-settings').trigger('click')
    expect(byTestId(w, 'field-name').element).toHaveProperty('value', crm.name)
    await byTestId(w, 'tab-history').trigger('click')
    expect(byTestId(w, 'history').exists()).toBe(true)
  })

  it('renews now from the Overview', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
    await flushPromises()
    await byTestId(w, 'datasource-row').trigger('click')
    await flushPromises()
    await byTestId(w, 'renew-now').trigger('click')
    await flushPromises()
    expect(api.callsOf('renewNow')).toEqual([{ id: crm.id }])
    expect(byTestId(w, 'datasource-status').attributes('data-kind')).toBe('valid')
  })

  it('shows the keychain banner only when the keychain is unavailable', async () => {
    const w = mountApp()
    await flushPromises()
    expect(byTestId(w, 'keychain-banner').exists()).toBe(false)
    wrapper?.unmount()
    setActivePinia((pinia = createPinia()))
    api.appState = { keychainAvailable: false, keychainMessage: 'Cannot autolaunch D-Bus', dataDir: '/tmp' }
    const again = mountApp()
    await flushPromises()
    expect(byTestId(again, 'keychain-banner').text()).toContain('Cannot autolaunch D-Bus')
    // The raw reason is only behind "Technical details"; Retry asks again and clears the banner.
    expect(byTestId(again, 'keychain-banner').find('details').text()).toContain('Cannot autolaunch D-Bus')
    api.appState = { keychainAvailable: true, dataDir: '/tmp' }
    await byTestId(again, 'keychain-retry').trigger('click')
    await flushPromises()
    expect(byTestId(again, 'keychain-banner').exists()).toBe(false)
  })
})

describe('search, filters and sort', () => {
  function seedMixed(): void {
    const now = Date.now()
    const valid = datasourceView({ name: 'Billing' })
    const broken = datasourceView({ name: 'Analytics' })
    const expired = datasourceView({ name: 'Warehouse', auth: { ...(datasourceView().auth as Extract<ReturnType<typeof datasourceView>['auth'], { type: 'oauth2-password' }>), username: 'bob', tokenUrl: 'https://login.corp.example/token' } })
    api.seed(
      { ...valid, status: tokenStatus(valid.id, { token: tokenMeta({ obtainedAt: now, expiresAt: now + 3_600_000 }) }) },
      { ...broken, status: tokenStatus(broken.id, { state: 'action-needed', lastError: { kind: 'oauth', code: 'invalid_grant', message: 'Password rejected' } }) },
      { ...expired, status: tokenStatus(expired.id, { token: tokenMeta({ obtainedAt: now - 7_200_000, expiresAt: now - 3_600_000 }) }) },
      datasourceView({ name: 'Open data', auth: { type: 'none' } }),
      datasourceView({ name: 'Never tested' }),
    )
  }
  const names = (w: VueWrapper) => w.findAll('[data-testid="datasource-row"]').map((row) => row.attributes('data-name'))

  it('counts what needs the user, not datasources without authentication or never tested', async () => {
    seedMixed()
    const w = mountApp()
    await flushPromises()
    expect(byTestId(w, 'filter-needs-you').text()).toBe('2 need you')
    expect(byTestId(w, 'filter-all').attributes('data-count')).toBe('5')
    expect(byTestId(w, 'filter-idle').attributes('data-count')).toBe('2')
    await byTestId(w, 'filter-needs-you').trigger('click')
    expect(names(w)).toEqual(['Analytics', 'Warehouse'])
    expect(byTestId(w, 'filter-needs-you').attributes('aria-pressed')).toBe('true')
  })

  it('searches name, user and host; sorts by state and by expiry', async () => {
    seedMixed()
    const w = mountApp()
    await flushPromises()
    await byTestId(w, 'search').setValue('corp.example')
    expect(names(w)).toEqual(['Warehouse'])
    await byTestId(w, 'search').setValue('bob ware')
    expect(names(w)).toEqual(['Warehouse'])
    await byTestId(w, 'search').setValue('nothing like this')
    expect(byTestId(w, 'no-match').exists()).toBe(true)
    await byTestId(w, 'search').setValue('')
    await byTestId(w, 'sort').setValue('state')
    expect(names(w)).toEqual(['Analytics', 'Warehouse', 'Billing', 'Never tested', 'Open data'])
    await byTestId(w, 'sort').setValue('expiry')
    expect(names(w).slice(0, 2)).toEqual(['Warehouse', 'Billing'])
  })

  it('Ctrl+F focuses the search, Ctrl+N opens a new form, Esc goes back', async () => {
    seedMixed()
    const w = mountApp()
    await flushPromises()
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'f', ctrlKey: true, bubbles: true, cancelable: true }))
    await flushPromises()
    expect(document.activeElement).toBe(byTestId(w, 'search').element)
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'n', ctrlKey: true, bubbles: true, cancelable: true }))
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'editor', id: null })
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }))
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'list' })
  })
})

describe('TokenStatusBadge countdown', () => {
  it('re-renders only the status badges on a tick, not the rows or the list', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const now = Date.now()
    const crm = datasourceView({ name: 'CRM' })
    api.seed({ ...crm, status: tokenStatus(crm.id, { token: tokenMeta({ obtainedAt: now, expiresAt: now + 30_000 }) }) }, datasourceView({ name: 'ERP' }))
    const updated: string[] = []
    wrapper = mount(App, {
      global: {
        plugins: [pinia],
        mixins: [{ updated(this: { $options: { __name?: string } }) { updated.push(this.$options.__name ?? '?') } }],
      },
    })
    await flushPromises()
    updated.length = 0
    await vi.advanceTimersByTimeAsync(3_000)
    expect(updated.length).toBeGreaterThan(0)
    expect(new Set(updated)).toEqual(new Set(['TokenStatusBadge']))
    expect(wrapper.find('[data-testid="datasource-status"]').text()).toMatch(/in 27 s$/)
  })


  it('ticks once a second from the shared clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const now = Date.now()
    const id = '00000000-0000-4000-8000-0000000000aa'
    const { useStatusStore } = await import('../../../renderer/src/stores/status-store')
    useStatusStore().set(tokenStatus(id, { token: tokenMeta({ obtainedAt: now, expiresAt: now + 30_000 }) }))
    wrapper = mount(TokenStatusBadge, { props: { datasourceId: id, authenticated: true, compact: true }, global: { plugins: [pinia] } })
    expect(wrapper.text()).toMatch(/in 30 s$/)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(wrapper.text()).toMatch(/in 25 s$/)
  })
})
