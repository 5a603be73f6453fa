/**
 * Compiles a TypeScript entry under tests/support into one ES module that plain `node` can run, for
 * tests that need the core in a separate process (to SIGKILL it, or to give it another D-Bus
 * session). Neither tsx nor vite-node is available to a child process, so this uses Vite's own SSR
 * build, which is already a dev dependency. Packages stay external; the bundle is written under
 * node_modules/.cache so that Node resolves them from the repository's node_modules.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../..')

export interface BuiltChild {
  /** The compiled .mjs file: run it with `process.execPath`. */
  readonly file: string
  /** Removes the build output. */
  cleanup(): void
}

/** Builds `tests/support/<entry>.ts` into a fresh directory; takes a second or two. */
export async function buildChildScript(entry: string): Promise<BuiltChild> {
  const outDir = join(repoRoot, 'node_modules', '.cache', 'datasource-desk-tests', `${entry}-${randomUUID()}`)
  mkdirSync(outDir, { recursive: true })
  await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'silent',
    build: {
      ssr: join(here, `${entry}.ts`),
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: false,
      rollupOptions: { output: { format: 'es', entryFileNames: `${entry}.mjs` } },
    },
  })
  return { file: join(outDir, `${entry}.mjs`), cleanup: () => rmSync(outDir, { recursive: true, force: true }) }
}
