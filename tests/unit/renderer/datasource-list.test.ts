import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { datasourceView, FakeApi, tokenMeta, tokenStatus } from '../../support/fake-api'
import App from '../../../renderer/src/App.vue'
import TokenStatusBadge from '../../../renderer/src/components/TokenStatusBadge.vue'
import { useViewStore } from '../../../renderer/src/stores/view-store'

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
    expect(rows[0]?.text()).toContain('https://crm.example.com/api')
    expect(rows[0]?.text()).toContain('OAuth2 - Password')
    expect(rows[0]?.find('[data-testid="datasource-status"]').text()).toMatch(/^Valid · expires .+, in 59 min$/)
    expect(rows[1]?.find('[data-testid="datasource-status"]').text()).toBe('No authentication')
    expect(rows[1]?.find('[data-testid="renew-now"]').exists()).toBe(false)
    expect(byTestId(w, 'empty-state').exists()).toBe(false)
  })

  it('updates a row when a status event arrives', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
    await flushPromises()
    expect(byTestId(w, 'datasource-status').text()).toBe('Not connected · no token yet')
    api.emit('statusChanged', tokenStatus(crm.id, { state: 'renewing', updatedAt: Date.now() + 1 }))
    await flushPromises()
    expect(byTestId(w, 'datasource-status').attributes('data-kind')).toBe('renewing')
  })

  it('opens a datasource on click', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
    await flushPromises()
    await byTestId(w, 'datasource-row').trigger('click')
    await flushPromises()
    expect(useViewStore().current).toEqual({ name: 'editor', id: crm.id })
    expect(byTestId(w, 'field-name').element).toHaveProperty('value', crm.name)
    expect(byTestId(w, 'history').exists()).toBe(true)
  })

  it('renews now from the row', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const w = mountApp()
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
    wrapper = mount(TokenStatusBadge, { props: { datasourceId: id, authenticated: true }, global: { plugins: [pinia] } })
    expect(wrapper.text()).toMatch(/in 30 s$/)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(wrapper.text()).toMatch(/in 25 s$/)
  })
})
