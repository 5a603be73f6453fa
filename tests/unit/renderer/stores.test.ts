import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { datasourceView, FakeApi, tokenMeta, tokenStatus } from '../../support/fake-api'
import { useDatasourcesStore } from '../../../renderer/src/stores/datasources-store'
import { useStatusStore } from '../../../renderer/src/stores/status-store'

let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  api = new FakeApi()
  window.api = api
})

describe('useDatasourcesStore', () => {
  it('loads the list, fills the status store and becomes ready', async () => {
    const crm = datasourceView({ name: 'CRM', status: tokenStatus('x', { token: tokenMeta() }) })
    api.seed({ ...crm, status: { ...crm.status, datasourceId: crm.id } })
    const store = useDatasourcesStore()
    expect(store.loadState).toBe('loading')
    await store.init()
    expect(store.loadState).toBe('ready')
    expect(store.items.map((item) => item.name)).toEqual(['CRM'])
    expect(useStatusStore().get(crm.id)?.token).not.toBeNull()
  })

  it('sorts by name, ignoring case', async () => {
    api.seed(datasourceView({ name: 'zeta' }), datasourceView({ name: 'Alpha' }), datasourceView({ name: 'beta' }))
    const store = useDatasourcesStore()
    await store.load()
    expect(store.sorted.map((item) => item.name)).toEqual(['Alpha', 'beta', 'zeta'])
  })

  it('reports a failed first load as an error, with the message', async () => {
    api.failures.set('listDatasources', { kind: 'storage', code: 'write-failed', message: 'The database is locked.' })
    const store = useDatasourcesStore()
    await store.load()
    expect(store.loadState).toBe('error')
    expect(store.loadError?.message).toBe('The database is locked.')
  })

  it('turns a rejected IPC call into an error instead of throwing', async () => {
    api.listDatasources = () => Promise.reject(new Error('channel closed'))
    const store = useDatasourcesStore()
    await store.load()
    expect(store.loadState).toBe('error')
    expect(store.loadError?.kind).toBe('internal')
  })

  it('knows when the keychain is unavailable', async () => {
    api.appState = { keychainAvailable: false, keychainMessage: 'No Secret Service', dataDir: '/tmp' }
    const store = useDatasourcesStore()
    expect(store.keychainAvailable).toBe(true)
    await store.init()
    expect(store.keychainAvailable).toBe(false)
  })

  it('reloads when the main process says datasources changed', async () => {
    const store = useDatasourcesStore()
    await store.init()
    api.seed(datasourceView({ name: 'Added elsewhere' }))
    api.emit('datasourcesChanged', { ids: [] })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(store.items.map((item) => item.name)).toEqual(['Added elsewhere'])
  })

  it('subscribes once however often init runs, and unsubscribes on stop', async () => {
    const store = useDatasourcesStore()
    await store.init()
    await store.init()
    expect(api.listenerCount('statusChanged')).toBe(1)
    expect(api.listenerCount('datasourcesChanged')).toBe(1)
    store.stop()
    expect(api.listenerCount('statusChanged')).toBe(0)
    expect(api.listenerCount('datasourcesChanged')).toBe(0)
  })

  it('renews now: marks the row as renewing meanwhile and stores the new status', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const store = useDatasourcesStore()
    await store.load()
    const pending = store.renewNow(crm.id)
    expect(store.renewing.has(crm.id)).toBe(true)
    const result = await pending
    expect(result.ok).toBe(true)
    expect(store.renewing.has(crm.id)).toBe(false)
    expect(useStatusStore().get(crm.id)?.token?.tokenType).toBe('Bearer')
    expect(api.callsOf('renewNow')).toEqual([{ id: crm.id }])
  })

  it('removes a deleted datasource from the list and its status', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const store = useDatasourcesStore()
    await store.load()
    const result = await store.remove(crm.id)
    expect(result.ok).toBe(true)
    expect(store.items).toEqual([])
    expect(useStatusStore().get(crm.id)).toBeUndefined()
  })

  it('signs in with the password and stores the resulting status', async () => {
    const crm = datasourceView()
    api.seed(crm)
    const store = useDatasourcesStore()
    const result = await store.signIn(crm.id, 'secret', false)
    expect(result.ok).toBe(true)
    expect(api.callsOf('signIn')).toEqual([{ id: crm.id, password: 'secret', remember: false }])
    expect(useStatusStore().get(crm.id)?.token).not.toBeNull()
  })
})

describe('useStatusStore', () => {
  it('takes live statuses from statusChanged events', () => {
    const statuses = useStatusStore()
    statuses.listen()
    const id = '00000000-0000-4000-8000-00000000abcd'
    api.emit('statusChanged', tokenStatus(id, { state: 'renewing', updatedAt: 10 }))
    expect(statuses.get(id)?.state).toBe('renewing')
  })

  it('ignores a status older than the one it holds', () => {
    const statuses = useStatusStore()
    const id = '00000000-0000-4000-8000-00000000abcd'
    statuses.set(tokenStatus(id, { state: 'retrying', updatedAt: 20 }))
    statuses.set(tokenStatus(id, { state: 'renewing', updatedAt: 10 }))
    expect(statuses.get(id)?.state).toBe('retrying')
    statuses.set(tokenStatus(id, { state: 'idle', updatedAt: 30 }))
    expect(statuses.get(id)?.state).toBe('idle')
  })
})
