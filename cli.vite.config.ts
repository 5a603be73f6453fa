/**
 * Builds the `datasource-desk` command (electron/cli) for plain Node into out/cli, apart from
 * electron-vite: no Electron, one small entry file, and the full core in chunks loaded on demand
 * so that `token` with a cached token starts fast. CommonJS output, because Node starts a CommonJS
 * entry about 10 ms sooner than an ES module and scripts call `token` in loops. Dependencies stay
 * external (native modules cannot be bundled; the others load from node_modules as in main).
 */
import { chmod, readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { defineConfig, type Plugin } from 'vite'

const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> }
const dependencies = Object.keys(pkg.dependencies ?? {})
const external = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), ...dependencies, ...dependencies.map((name) => new RegExp(`^${name}/`))]

/** The bin must be executable for `npm link` and direct calls; npm sets it on install only. */
function executableEntry(): Plugin {
  return {
    name: 'datasource-desk-executable-entry',
    async writeBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk' && chunk.isEntry) await chmod(resolve(options.dir ?? 'out/cli', chunk.fileName), 0o755)
      }
    },
  }
}

export default defineConfig({
  // A library-style Node build: no index.html, no public dir, nothing for browsers.
  publicDir: false,
  logLevel: 'warn',
  define: { __DATASOURCE_DESK_VERSION__: JSON.stringify(pkg.version) },
  plugins: [executableEntry()],
  build: {
    ssr: resolve('electron/cli/index.ts'),
    outDir: 'out/cli',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      external,
      output: {
        format: 'cjs',
        entryFileNames: 'index.cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        // The schemas (zod takes about a third of a due `token`'s time to load) in a chunk of their
        // own, so that the due path (due-token.ts) does not load them with the code it shares;
        // what both use goes to a chunk of its own first (higher priority), or it would join them.
        codeSplitting: {
          groups: [
            // Every shared module but the two that import zod, so a new one needs no entry here.
            { name: 'shared', test: /[\\/]shared[\\/](?!datasource\.ts$|ipc\.ts$)[^\\/]+\.ts$/, priority: 2 },
            { name: 'schemas', test: /[\\/](shared[\\/](datasource|ipc)|electron[\\/]core[\\/]handlers)\.ts$/, priority: 1 },
          ],
        },
      },
    },
  },
})
