import { beforeAll, describe, expect, it, vi } from 'vitest'
import { channelOf, eventChannelOf, ipcMethods, type DatasourceApi } from '../../../shared/ipc'
import { electronModule, electronState } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

let api: DatasourceApi

describe('preload', () => {
  beforeAll(async () => {
    await import('../../../electron/preload/index')
    api = electronState.exposed.get('api') as DatasourceApi
  })

  it('exposes only window.api', () => {
    expect(electronModule.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
    expect([...electronState.exposed.keys()]).toEqual(['api'])
  })

  it('has exactly one named method per contract method, plus on', () => {
    expect(Object.keys(api).sort()).toEqual([...ipcMethods, 'on'].sort())
    for (const key of Object.keys(api)) expect(typeof (api as unknown as Record<string, unknown>)[key]).toBe('function')
    expect(api).not.toHaveProperty('invoke')
    expect(api).not.toHaveProperty('send')
    expect(Object.isFrozen(api)).toBe(true)
  })

  it.each(ipcMethods)('%s invokes its own channel with the payload only', async (method) => {
    const payload = { probe: method }
    const call = api[method] as (payload: unknown) => Promise<unknown>
    await expect(call(payload)).resolves.toEqual({ ok: true, value: { channel: channelOf(method), payload } })
    expect(electronModule.ipcRenderer.invoke).toHaveBeenLastCalledWith(channelOf(method), payload)
  })

  it('gives event listeners the payload only, never the IpcRendererEvent', () => {
    const listener = vi.fn()
    const off = api.on('statusChanged', listener)
    electronModule.ipcRenderer.emitFromMain(eventChannelOf('statusChanged'), { datasourceId: 'a' })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]).toEqual([{ datasourceId: 'a' }])
    off()
    electronModule.ipcRenderer.emitFromMain(eventChannelOf('statusChanged'), { datasourceId: 'b' })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(electronModule.ipcRenderer.listenerCount(eventChannelOf('statusChanged'))).toBe(0)
  })

  it('refuses to subscribe to anything but a contract event', () => {
    const on = api.on as unknown as (event: string, listener: unknown) => unknown
    expect(() => on('api:saveDatasource', () => {})).toThrow(TypeError)
    expect(() => on('__proto__', () => {})).toThrow(TypeError)
    expect(() => on('datasourcesChanged', 'not a function')).toThrow(TypeError)
    expect(electronModule.ipcRenderer.on).not.toHaveBeenCalledWith('api:saveDatasource', expect.anything())
  })
})
