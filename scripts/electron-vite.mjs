#!/usr/bin/env node
/**
 * `npm start` / `npm run dev`: electron-vite with an Electron binary that is really there.
 *
 * Since Electron 42 the binary is downloaded lazily, the first time require('electron') asks for
 * its path (node_modules/electron/index.js); npm ci does not fetch it. electron-vite 6.0 reads
 * node_modules/electron/path.txt itself and throws "Electron uninstall" when it is missing. So this
 * resolves the path through Electron's own index.js (which downloads the binary on first use) and
 * hands it to electron-vite in ELECTRON_EXEC_PATH, which electron-vite reads before path.txt.
 *
 * Usage: node scripts/electron-vite.mjs <preview|dev|...> [electron-vite arguments]
 * Resolves `electron` and `electron-vite` from the current folder (npm runs scripts in the project root).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const projectRequire = createRequire(join(process.cwd(), 'package.json'))

function fail(message) {
  console.error(`start: ${message}`)
  process.exit(1)
}

/** What electron/index.js would return without downloading, or null when it would download. */
function installedElectronPath() {
  const packageDir = dirname(projectRequire.resolve('electron/package.json'))
  const pathFile = join(packageDir, 'path.txt')
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron')
  const binary = executable ? join(packageDir, 'dist', executable) : null
  return binary && existsSync(binary) ? binary : null
}

function resolveElectron() {
  if (!installedElectronPath() && process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    fail(
      'the Electron binary is not installed and ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it is not downloaded. ' +
        'Unset it (or run `npx install-electron`) on a machine that can reach Electron\'s download site.',
    )
  }
  let electronPath
  try {
    // Electron's index.js: returns the binary's path, downloading it first when it is missing.
    electronPath = projectRequire('electron')
  } catch (error) {
    fail(`the Electron binary could not be downloaded (${error instanceof Error ? error.message : String(error)}).`)
  }
  if (typeof electronPath !== 'string' || !existsSync(electronPath)) {
    fail(`the Electron binary is missing at ${String(electronPath)}. Delete node_modules/electron and run \`npm ci\` again.`)
  }
  return electronPath
}

// A binary the user points at explicitly wins, as in electron-vite itself.
const electronPath = process.env.ELECTRON_EXEC_PATH || resolveElectron()
const viteManifestPath = projectRequire.resolve('electron-vite/package.json')
const viteBin = join(dirname(viteManifestPath), JSON.parse(readFileSync(viteManifestPath, 'utf8')).bin['electron-vite'])
const child = spawn(process.execPath, [viteBin, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_EXEC_PATH: electronPath },
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
