/**
 * Builds the bench's TypeScript entries (the real core under load, the token server) into plain
 * ES modules for `node`, like tests/support/child-build.ts does for the tests' child processes.
 * Written under node_modules/.cache so that Node resolves the packages from node_modules.
 */
import { resolve } from 'node:path'
import { defineConfig } from 'vite'

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: 'node_modules/.cache/datasource-desk-bench',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      input: { 'renewal-load': resolve('bench/renewal-load.ts'), 'token-server': resolve('bench/token-server.ts') },
      output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' },
    },
  },
})
