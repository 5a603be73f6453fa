import { beforeEach, describe, expect, it, vi } from 'vitest'
import { electronModule, electronState, fakeEvent, resetElectronMock, type FakeBrowserWindow } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { contentSecurityPolicy, createMainWindow, isSafeExternalUrl } = await import('../../../electron/main/window')

const rendererFile = '/opt/datasource-desk/out/renderer/index.html'

function open(target: Parameters<typeof createMainWindow>[0]['target'] = { kind: 'file', path: rendererFile }): FakeBrowserWindow {
  createMainWindow({ preloadPath: '/opt/datasource-desk/out/preload/index.cjs', target })
  const window = electronState.windows.at(-1)
  if (!window) throw new Error('no window created')
  return window
}

describe('createMainWindow', () => {
  beforeEach(() => resetElectronMock())

  it('isolates and sandboxes the renderer, without Node, with our CommonJS preload', () => {
    const prefs = open().options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, webviewTag: false })
    expect(prefs.preload).toBe('/opt/datasource-desk/out/preload/index.cjs')
    // webSecurity stays at its (secure) default: the option is not even mentioned.
    expect(prefs).not.toHaveProperty('webSecurity')
    expect(prefs).not.toHaveProperty('allowRunningInsecureContent')
  })

  it('loads the built renderer file, or the dev server URL in development', () => {
    expect(open().loadFile).toHaveBeenCalledWith(rendererFile)
    const dev = open({ kind: 'dev', url: 'http://localhost:5173/' })
    expect(dev.loadURL).toHaveBeenCalledWith('http://localhost:5173/')
    expect(dev.loadFile).not.toHaveBeenCalled()
  })

  it('shows the window only once it has rendered', () => {
    const window = open()
    expect(window.options.show).toBe(false)
    window.emit('ready-to-show')
    expect(window.show).toHaveBeenCalled()
  })

  it('blocks every navigation and redirect, and <webview>', () => {
    const contents = open().webContents
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = fakeEvent()
      contents.emit(name, event, 'https://evil.example/')
      expect(event.defaultPrevented, name).toBe(true)
    }
  })

  it('denies every new window and opens only validated https links externally', () => {
    const contents = open().webContents
    const handler = contents.windowOpenHandler
    expect(handler).not.toBeNull()
    expect(handler?.({ url: 'https://docs.example.com/oauth' })).toEqual({ action: 'deny' })
    expect(electronModule.shell.openExternal).toHaveBeenCalledWith('https://docs.example.com/oauth')
    for (const url of ['http://docs.example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@evil.example/', 'smb://host/share', 'not a url']) {
      expect(handler?.({ url })).toEqual({ action: 'deny' })
    }
    expect(electronModule.shell.openExternal).toHaveBeenCalledTimes(1)
  })

  it('denies every permission request and permission check', () => {
    const session = open().webContents.session
    const callback = vi.fn()
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      ;(session.permissionRequestHandler as unknown as (...args: unknown[]) => void)(null, permission, callback)
    }
    expect(callback).toHaveBeenCalledTimes(5)
    expect(callback.mock.calls.every(([granted]) => granted === false)).toBe(true)
    expect((session.permissionCheckHandler as unknown as (...args: unknown[]) => boolean)(null, 'media')).toBe(false)
  })

  it('sets a strict Content-Security-Policy header, replacing any other', () => {
    const session = open().webContents.session
    const callback = vi.fn()
    ;(session.headersReceivedListener as unknown as (...args: unknown[]) => void)(
      { responseHeaders: { 'content-security-policy': ["default-src *"], 'X-Other': ['1'] } },
      callback,
    )
    const headers = callback.mock.calls[0]?.[0].responseHeaders as Record<string, string[]>
    expect(headers['X-Other']).toEqual(['1'])
    expect(headers).not.toHaveProperty('content-security-policy')
    expect(headers['Content-Security-Policy']?.[0]).toContain("script-src 'self'")
    expect(headers['Content-Security-Policy']?.[0]).not.toContain('unsafe')
  })
})

describe('contentSecurityPolicy', () => {
  it('allows only our own scripts, and no inline code in production', () => {
    const policy = contentSecurityPolicy({ kind: 'file', path: rendererFile })
    expect(policy).toContain("default-src 'none'")
    expect(policy).toContain("script-src 'self'")
    expect(policy).toContain("object-src 'none'")
    expect(policy).toContain("connect-src 'none'")
    expect(policy).not.toMatch(/unsafe-(inline|eval)/)
  })

  it('lets the dev server push hot updates in development', () => {
    expect(contentSecurityPolicy({ kind: 'dev', url: 'http://localhost:5173' })).toContain('ws://localhost:5173')
  })
})

describe('isSafeExternalUrl', () => {
  it('accepts https only, without credentials', () => {
    expect(isSafeExternalUrl('https://example.com/a?b=c')).toBe(true)
    expect(isSafeExternalUrl('http://example.com/')).toBe(false)
    expect(isSafeExternalUrl('https://a:b@example.com/')).toBe(false)
    expect(isSafeExternalUrl('mailto:a@example.com')).toBe(false)
  })
})

describe('the CSP meta tag of renderer/index.html (file:// responses carry no headers)', () => {
  const directives = (policy: string): Map<string, string> =>
    new Map(
      policy
        .split(';')
        .map((part) => part.trim().split(/\s+/))
        .filter((words) => words[0])
        .map(([name, ...sources]) => [name as string, sources.join(' ')]),
    )

  async function metaPolicy(): Promise<Map<string, string>> {
    const { readFile } = await import('node:fs/promises')
    const html = await readFile('renderer/index.html', 'utf8')
    const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)
    if (!match?.[1]) throw new Error('renderer/index.html has no CSP meta tag')
    return directives(match[1])
  }

  it('is strict: only our own scripts, nothing by default, no inline code, no remote sources', async () => {
    const meta = await metaPolicy()
    expect(meta.get('script-src')).toBe("'self'")
    expect(meta.get('default-src')).toBe("'none'")
    expect(meta.get('object-src')).toBe("'none'")
    expect(meta.get('connect-src')).toBe("'none'")
    for (const [name, sources] of meta) {
      expect(sources, name).not.toMatch(/unsafe-|https?:|\*|blob:/)
    }
  })

  it('says what the response header says (minus frame-ancestors, which a meta tag cannot set)', async () => {
    const meta = await metaPolicy()
    const header = directives(contentSecurityPolicy({ kind: 'file', path: rendererFile }))
    header.delete('frame-ancestors')
    expect(Object.fromEntries(meta)).toEqual(Object.fromEntries(header))
  })
})
