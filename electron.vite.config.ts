import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import type { Plugin } from 'vite'

const CSP_META = /<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i

/**
 * renderer/index.html's CSP meta tag is for the built app: file:// responses carry no headers.
 * Vite's dev server injects styles and opens a websocket that policy forbids, and a meta policy
 * is enforced on top of any header one, so the dev server serves the page without it; main then
 * sends the development policy as a header (contentSecurityPolicy in electron/main/window.ts).
 */
export function cspMetaOnlyInBuild(): Plugin {
  return {
    name: 'datasource-desk:csp-meta-only-in-build',
    apply: 'serve',
    transformIndexHtml: {
      order: 'pre',
      handler(html) {
        if (!CSP_META.test(html)) throw new Error('renderer/index.html has no CSP meta tag to leave out in development')
        return html.replace(CSP_META, '')
      },
    },
  }
}

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: { input: { index: resolve('electron/main/index.ts') } },
    },
  },
  preload: {
    // Sandboxed renderers cannot load ES-module preloads: bundle everything into one CommonJS file.
    // A sandboxed preload can require() only 'electron' (and a few polyfills), so its dependencies
    // (zod, through shared/ipc.ts) must be bundled, not left external.
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [vue(), cspMetaOnlyInBuild()],
    build: {
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
})
