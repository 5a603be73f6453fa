/**
 * Keeps V8's compiled code of the command's modules between runs (Node's module compile cache), in
 * the data folder, so that the next command skips compiling them: 12-15 ms of a `token` that
 * renews, nothing measurable of one that answers from the cache (bench/RESULTS.md). Node checks
 * every entry's header and the hash of its body, and compiles from source when either is wrong
 * (pinned in tests/integration/cli/cli-token-paths.test.ts): a damaged cache costs time, never a
 * wrong result.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { join } from 'node:path'

export const COMPILE_CACHE_DIR = 'compile-cache'

export function cacheCompiledCode(dataDir: string): void {
  // Never the one to create the data folder: the app and the commands that write make it private.
  if (typeof enableCompileCache !== 'function' || !existsSync(dataDir)) return
  const cacheDir = join(dataDir, COMPILE_CACHE_DIR)
  try {
    mkdirSync(cacheDir, { mode: 0o700 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return
  }
  enableCompileCache(cacheDir)
}
