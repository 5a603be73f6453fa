/**
 * The environment overrides the e2e `electron` target relies on (tests/e2e/fixtures.ts): its own
 * data folder and keychain service per run, and the tray model readable through
 * electronApp.evaluate, the latter only when DATASOURCE_DESK_E2E=1.
 */
import { join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CoreDeps } from '../../../electron/core/deps'
import type { TrayModel } from '../../../electron/core/tray-model'
import { ok } from '../../../shared/errors'
import { ipcMethods, type HandlerTable } from '../../../shared/ipc'
import type { TokenStatus } from '../../../shared/token'
import { electronState, fakeEvent, FakeWebContents, resetElectronMock } from '../../support/electron-mock'
import { makeTempDir } from '../../support/temp-dir'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)
const keytarStores = vi.hoisted(() => [] as string[])
vi.mock('../../../electron/core/secrets/keytar-secret-store', () => ({
  createKeytarSecretStore: (service: string) => {
    keytarStores.push(service)
    return { get: async () => null, set: async () => {}, delete: async () => false, accounts: async () => [] }
  },
}))

const { startApp, KEYCHAIN_SERVICE, TRAY_MODEL_GLOBAL, TRAY_RUN_GLOBAL } = await import('../../../electron/main/app')

const now = Date.UTC(2026, 10, 26, 12, 0)
const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} }

function status(datasourceId: string, state: TokenStatus['state']): TokenStatus {
  return { datasourceId, state, token: null, renewAt: null, nextAttemptAt: null, attempt: 0, lastError: null, updatedAt: now }
}

function fakeCore() {
  const entries = [{ id: 'crm', name: 'CRM', authenticated: true, status: status('crm', 'idle') }]
  const created: CoreDeps[] = []
  const core = {
    handlers: Object.fromEntries(ipcMethods.map((method) => [method, async () => ok(method)])) as unknown as HandlerTable,
    snapshot: () => entries,
    renewNow: async () => undefined,
    recheck: () => {},
    close: async () => {},
  }
  const createCore = async (deps: CoreDeps) => {
    created.push(deps)
    return core
  }
  return { entries, created, createCore }
}

const readTrayModel = (): TrayModel | undefined => (globalThis as Record<string, unknown>)[TRAY_MODEL_GLOBAL] as TrayModel | undefined

describe('startApp environment overrides', () => {
  beforeEach(() => {
    resetElectronMock()
    keytarStores.length = 0
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
    delete (globalThis as Record<string, unknown>)[TRAY_MODEL_GLOBAL]
    delete (globalThis as Record<string, unknown>)[TRAY_RUN_GLOBAL]
  })

  it('uses DATASOURCE_DESK_DATA_DIR as userData, set before the single-instance lock', async () => {
    const { created, createCore } = fakeCore()
    await startApp({ createCore, clock, env: { DATASOURCE_DESK_DATA_DIR: '/tmp/dsd-e2e-1' } })
    expect(created[0]?.dataDir).toBe('/tmp/dsd-e2e-1')
    expect(electronState.app.setPath).toHaveBeenCalledWith('userData', '/tmp/dsd-e2e-1')
    const setPathOrder = electronState.app.setPath.mock.invocationCallOrder[0] ?? Infinity
    const lockOrder = electronState.app.requestSingleInstanceLock.mock.invocationCallOrder[0] ?? -Infinity
    expect(setPathOrder).toBeLessThan(lockOrder)
  })

  it('resolves a relative DATASOURCE_DESK_DATA_DIR against the start folder, as the CLI does', async () => {
    // The mock's setPath throws for a relative path, as Electron's does.
    expect(() => electronState.app.setPath('userData', 'data')).toThrow('Path must be absolute')
    const { created, createCore } = fakeCore()
    const temp = makeTempDir()
    try {
      const relativeDir = join(relative(process.cwd(), temp.dir), 'sub', '..', 'data')
      await startApp({ createCore, clock, env: { DATASOURCE_DESK_DATA_DIR: relativeDir } })
      expect(created[0]?.dataDir).toBe(join(temp.dir, 'data'))
    } finally {
      temp.cleanup()
    }
  })

  it('keeps Electron\'s userData folder without the override, or with a blank one', async () => {
    for (const env of [{}, { DATASOURCE_DESK_DATA_DIR: '  ' }]) {
      resetElectronMock()
      const { created, createCore } = fakeCore()
      await startApp({ createCore, clock, env })
      expect(created[0]?.dataDir).toBe('/fake/userData')
      expect(electronState.app.setPath).not.toHaveBeenCalled()
    }
  })

  it('opens the keychain under DATASOURCE_DESK_KEYCHAIN_SERVICE, else under the app name', async () => {
    await startApp({ createCore: fakeCore().createCore, clock, env: { DATASOURCE_DESK_KEYCHAIN_SERVICE: 'datasource-desk-e2e-42' } })
    resetElectronMock()
    await startApp({ createCore: fakeCore().createCore, clock, env: {} })
    expect(keytarStores).toEqual(['datasource-desk-e2e-42', KEYCHAIN_SERVICE])
  })

  it('exposes the current tray model on globalThis only when DATASOURCE_DESK_E2E=1', async () => {
    await startApp({ createCore: fakeCore().createCore, clock, env: {} })
    expect(TRAY_MODEL_GLOBAL in globalThis).toBe(false)

    resetElectronMock()
    const { entries, createCore } = fakeCore()
    await startApp({ createCore, clock, env: { DATASOURCE_DESK_E2E: '1' } })
    expect(readTrayModel()?.items[0]).toMatchObject({ label: expect.stringMatching(/^CRM/) })
    // Read live: a change in the core shows without waiting for the debounced menu render.
    entries[0] = { id: 'crm', name: 'CRM', authenticated: true, status: status('crm', 'sign-in-needed') }
    expect(readTrayModel()?.severity).toBe('error')
    expect(structuredClone(readTrayModel())).toEqual(readTrayModel())
  })

  it('does not expose the tray model for any other value of DATASOURCE_DESK_E2E', async () => {
    await startApp({ createCore: fakeCore().createCore, clock, env: { DATASOURCE_DESK_E2E: 'true' } })
    expect(TRAY_MODEL_GLOBAL in globalThis).toBe(false)
  })
})

describe('startApp security wiring', () => {
  beforeEach(() => {
    resetElectronMock()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
  })
  afterEach(() => vi.useRealTimers())

  it('loads no remote content: a packaged app ignores ELECTRON_RENDERER_URL and loads its own file', async () => {
    electronState.app.isPackaged = true
    await startApp({ createCore: fakeCore().createCore, clock, env: { ELECTRON_RENDERER_URL: 'https://evil.example/' } })
    const window = electronState.windows[0]
    expect(window?.loadURL).not.toHaveBeenCalled()
    expect(window?.loadFile).toHaveBeenCalledWith(expect.stringMatching(/renderer[/\\]index\.html$/))
  })

  it('uses the dev server only for an unpackaged app', async () => {
    electronState.app.isPackaged = false
    await startApp({ createCore: fakeCore().createCore, clock, env: { ELECTRON_RENDERER_URL: 'http://localhost:5173/' } })
    expect(electronState.windows[0]?.loadURL).toHaveBeenCalledWith('http://localhost:5173/')
  })

  it('locks down every WebContents created later, not only the main window', async () => {
    await startApp({ createCore: fakeCore().createCore, clock, env: {} })
    const contents = new FakeWebContents()
    electronState.app.emit('web-contents-created', fakeEvent(), contents)
    const navigation = fakeEvent()
    contents.emit('will-navigate', navigation, 'https://evil.example/')
    expect(navigation.defaultPrevented).toBe(true)
    const webview = fakeEvent()
    contents.emit('will-attach-webview', webview)
    expect(webview.defaultPrevented).toBe(true)
    expect(contents.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
  })
})
