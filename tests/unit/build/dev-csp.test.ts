/**
 * `npm run dev`: the page from Vite's dev server must not carry the strict CSP meta tag (it would
 * block Vite's injected styles and its websocket, whatever header main sends), while the build
 * keeps it (file:// has no headers). Runs Vite's real dev server on 127.0.0.1.
 */
import { readFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { cspMetaOnlyInBuild } from '../../../electron.vite.config'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)
const { contentSecurityPolicy } = await import('../../../electron/main/window')

async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe('the CSP in development and in the build', () => {
  let server: ViteDevServer
  let origin: string

  beforeAll(async () => {
    const port = await freePort()
    server = await createServer({
      configFile: false,
      root: 'renderer',
      logLevel: 'silent',
      plugins: [cspMetaOnlyInBuild()],
      server: { host: '127.0.0.1', port, strictPort: true, hmr: { host: '127.0.0.1', port } },
    })
    await server.listen()
    origin = `http://127.0.0.1:${port}`
  })

  afterAll(async () => {
    await server?.close()
  })

  it('the dev server serves the page without the meta policy, with Vite\'s client', async () => {
    const html = await (await fetch(`${origin}/`)).text()
    expect(html).toContain('/@vite/client')
    expect(html).not.toMatch(/http-equiv="Content-Security-Policy"/i)
    expect(readFileSync('renderer/index.html', 'utf8')).toMatch(/http-equiv="Content-Security-Policy"/i)
  })

  it('main\'s development header policy admits what Vite needs, and only from the dev server', () => {
    const policy = contentSecurityPolicy({ kind: 'dev', url: `${origin}/` })
    expect(policy).toContain("style-src 'self' 'unsafe-inline'")
    expect(policy).toContain(`connect-src 'self' ws://127.0.0.1:${new URL(origin).port}`)
    expect(policy).toContain("script-src 'self'")
  })

  it('the build keeps the meta tag: the plugin applies to the dev server only', () => {
    expect(cspMetaOnlyInBuild().apply).toBe('serve')
  })

  it('fails loudly when the page has no meta tag to leave out (a moved tag must not go unnoticed)', () => {
    const hook = cspMetaOnlyInBuild().transformIndexHtml as { handler: (html: string) => string }
    expect(() => hook.handler('<html><head></head></html>')).toThrow(/no CSP meta tag/)
  })
})
