import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'

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
    plugins: [vue()],
    build: {
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
})
