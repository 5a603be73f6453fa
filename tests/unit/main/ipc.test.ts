import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { ok } from '../../../shared/errors'
import { channelOf, eventChannelOf, ipcMethods, type HandlerTable } from '../../../shared/ipc'
import { electronState, FakeWebContents, invokeEventFrom, resetElectronMock } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { createSenderCheck, pushEvent, registerHandlers, registerIpcMainHandlers, untrustedSenderError } = await import('../../../electron/main/ipc')

const appUrl = 'file:///app/out/renderer/index.html'

type FakeHandlers = HandlerTable & { readonly [M in keyof HandlerTable]: Mock<HandlerTable[M]> }

function fakeHandlers(): FakeHandlers {
  return Object.fromEntries(ipcMethods.map((method) => [method, vi.fn(async (payload: unknown) => ok({ method, payload }))])) as unknown as FakeHandlers
}

function trustedWindow(): { isDestroyed: () => boolean; webContents: FakeWebContents; destroyed: boolean } {
  const webContents = new FakeWebContents()
  webContents.mainFrame.url = appUrl
  const window = { destroyed: false, webContents, isDestroyed: () => window.destroyed }
  return window
}

async function call(method: string, event: unknown, payload: unknown): Promise<unknown> {
  const listener = electronState.ipcHandlers.get(channelOf(method as never))
  if (!listener) throw new Error(`no handler for ${method}`)
  return listener(event, payload)
}

describe('registerIpcMainHandlers', () => {
  let window: ReturnType<typeof trustedWindow>
  let handlers: ReturnType<typeof fakeHandlers>

  beforeEach(() => {
    resetElectronMock()
    window = trustedWindow()
    handlers = fakeHandlers()
    registerIpcMainHandlers(handlers, createSenderCheck(() => window, (url) => url.startsWith(appUrl)))
  })

  it('registers exactly one handler per contract method', () => {
    expect([...electronState.ipcHandlers.keys()].sort()).toEqual(ipcMethods.map(channelOf).sort())
    expect(electronState.ipcHandlers.size).toBe(ipcMethods.length)
  })

  it.each(ipcMethods)('serves %s from our window with the raw payload', async (method) => {
    const payload = { raw: ['payload', 1], __proto__: { polluted: true } }
    const result = await call(method, invokeEventFrom(window.webContents), payload)
    expect(result).toEqual({ ok: true, value: { method, payload } })
    expect(handlers[method]).toHaveBeenCalledWith(payload)
  })

  const foreign: Array<[string, () => unknown]> = [
    ['a page at another URL', () => invokeEventFrom(window.webContents, { url: 'https://evil.example/' })],
    ['another file:// page', () => invokeEventFrom(window.webContents, { url: 'file:///tmp/evil.html' })],
    ['a subframe', () => invokeEventFrom(window.webContents, { routingId: 999, parent: {} })],
    ['a frame that has a parent', () => invokeEventFrom(window.webContents, { parent: {} })],
    ['a subframe at our own URL', () => invokeEventFrom(window.webContents, { routingId: 999, parent: {}, url: appUrl })],
    ['a frame in another process', () => invokeEventFrom(window.webContents, { processId: 99 })],
    ['another WebContents', () => invokeEventFrom(new FakeWebContents(), { url: appUrl })],
    ['a frame that is gone', () => invokeEventFrom(window.webContents, null)],
    [
      'a frame whose lookup throws',
      () => ({
        sender: window.webContents,
        get senderFrame(): never {
          throw new Error('Render frame was disposed before WebFrameMain could be accessed')
        },
      }),
    ],
  ]

  it.each(foreign)('refuses %s with a typed error, without calling the core', async (_name, event) => {
    for (const method of ipcMethods) {
      await expect(call(method, event(), {})).resolves.toEqual({ ok: false, error: untrustedSenderError })
      expect(handlers[method]).not.toHaveBeenCalled()
    }
    expect(untrustedSenderError).toMatchObject({ kind: 'internal', code: 'untrusted-sender' })
  })

  it('refuses everything once the window is destroyed', async () => {
    window.destroyed = true
    await expect(call('listDatasources', invokeEventFrom(window.webContents), {})).resolves.toMatchObject({ ok: false })
  })

  it('turns a throwing handler into a typed error instead of a rejected invoke', async () => {
    handlers.saveDatasource.mockRejectedValueOnce(new Error('secret hunter2 leaked in a message'))
    const result = (await call('saveDatasource', invokeEventFrom(window.webContents), {})) as { ok: boolean; error: { message: string; kind: string } }
    expect(result.ok).toBe(false)
    expect(result.error.kind).toBe('internal')
    expect(result.error.message).not.toContain('hunter2')
  })
})

describe('registerHandlers', () => {
  it('reports a throwing handler and can remove every handler again', async () => {
    const registered = new Map<string, (event: never, ...args: unknown[]) => unknown>()
    const ipc = {
      handle: (channel: string, listener: (event: never, ...args: unknown[]) => unknown) => void registered.set(channel, listener),
      removeHandler: (channel: string) => void registered.delete(channel),
    }
    const handlers = fakeHandlers()
    handlers.getHistory.mockRejectedValueOnce(new Error('boom'))
    const onHandlerError = vi.fn()
    const unregister = registerHandlers(ipc, handlers, () => true, { onHandlerError })
    await registered.get(channelOf('getHistory'))?.({} as never, { id: 'x' })
    expect(onHandlerError).toHaveBeenCalledWith('getHistory', expect.any(Error))
    unregister()
    expect(registered.size).toBe(0)
  })
})

describe('pushEvent', () => {
  it('sends a typed event on its event channel, and skips a destroyed window', () => {
    const contents = new FakeWebContents()
    pushEvent(contents, 'datasourcesChanged', { ids: ['a'] })
    expect(contents.send).toHaveBeenCalledWith(eventChannelOf('datasourcesChanged'), { ids: ['a'] })
    contents.destroyed = true
    pushEvent(contents, 'datasourcesChanged', { ids: ['b'] })
    pushEvent(null, 'datasourcesChanged', { ids: ['c'] })
    expect(contents.send).toHaveBeenCalledTimes(1)
  })
})
