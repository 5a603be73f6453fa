import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Result } from '../../../shared/errors'
import type { IntrospectionReport } from '../../../shared/introspection'
import { datasourceView, FakeApi } from '../../support/fake-api'
import TokenActions from '../../../renderer/src/components/TokenActions.vue'

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

const byTestId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`)

async function openDetails(): Promise<VueWrapper> {
  const view = datasourceView({ name: 'CRM' })
  api.datasources.set(view.id, view)
  wrapper = mount(TokenActions, { props: { datasourceId: view.id, name: 'CRM', hasUrl: true }, global: { plugins: [pinia] }, attachTo: document.body })
  const details = byTestId(wrapper, 'token-details').element as HTMLDetailsElement
  details.open = true
  await byTestId(wrapper, 'token-details').trigger('toggle')
  await flushPromises()
  return wrapper
}

describe('Check at the server (RFC 7662)', () => {
  it('shows a progress indicator while the main process asks, then the answer', async () => {
    api.tokenDetails = { jwt: null, introspection: { host: 'auth.example.com', sameOrigin: true } }
    let answer: (result: Result<IntrospectionReport>) => void = () => undefined
    api.introspectToken = () => new Promise((resolve) => (answer = resolve))
    const w = await openDetails()
    const button = byTestId(w, 'introspect')
    expect(button.text()).toBe('Check at the server')
    await button.trigger('click')
    expect(button.attributes('aria-busy')).toBe('true')
    expect(button.attributes('disabled')).toBeDefined()
    expect(button.find('.spinner').exists()).toBe(true)
    expect(button.text()).toBe('Checking…')
    answer({ ok: true, value: { host: 'auth.example.com', checkedAt: Date.now(), active: true, scope: 'read write', username: 'ada' } })
    await flushPromises()
    expect(button.attributes('aria-busy')).toBe('false')
    expect(button.text()).toBe('Check again')
    expect(byTestId(w, 'introspection-active').text()).toBe('Active: the server accepts this token.')
    expect(byTestId(w, 'introspection-facts').find('[data-field="scope"]').text()).toBe('read write')
  })

  it('says plainly that an inactive token is rejected, and what to do', async () => {
    api.tokenDetails = { jwt: null, introspection: { host: 'auth.example.com', sameOrigin: true } }
    api.introspection = { ok: true, value: { host: 'auth.example.com', checkedAt: Date.now(), active: false } }
    const w = await openDetails()
    await byTestId(w, 'introspect').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'introspection-active').exists()).toBe(false)
    expect(byTestId(w, 'introspection-inactive').text()).toMatch(/^Not active: the server rejects this token\..*Renew now gets a new one\.$/)
  })

  it('shows the error with its hint, and offers nothing for an endpoint on another origin', async () => {
    api.tokenDetails = { jwt: null, introspection: { host: 'auth.example.com', sameOrigin: true } }
    api.introspection = { ok: false, error: { kind: 'oauth', code: 'invalid_client', message: 'The introspection endpoint (auth.example.com) refused the request: invalid_client.', hint: 'Some servers let only resource servers introspect tokens.' } }
    const w = await openDetails()
    await byTestId(w, 'introspect').trigger('click')
    await flushPromises()
    expect(byTestId(w, 'introspection-error').text()).toBe('The introspection endpoint (auth.example.com) refused the request: invalid_client.Some servers let only resource servers introspect tokens.')
    w.unmount()
    wrapper = null
    api.tokenDetails = { jwt: null, introspection: { host: 'elsewhere.example', sameOrigin: false } }
    const other = await openDetails()
    expect(byTestId(other, 'introspect').exists()).toBe(false)
    expect(byTestId(other, 'introspection-other-origin').text()).toContain('elsewhere.example')
  })
})
