#!/usr/bin/env node
/**
 * `npm run test:electron`: the built app in real Electron. Starts out/main/index.js under Xvfb
 * (when there is no display) with a temporary data folder and keychain service, waits for the
 * renderer's ready signal (data-app-state="ready"), makes one IPC round trip through the preload,
 * the sender check and the core (getAppState: the keychain probe, with the database open), then
 * quits through app.quit() and expects exit code 0.
 *
 * Where no Electron binary is installed (our CI machines) it prints one line saying it was not run
 * and why, and exits 0; anything else that stops it is a failure with its reason.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const TIMEOUT_MS = 60_000
const log = (line) => console.log(`test:electron: ${line}`)

/** The temporary data folder, once made; removed on every way out. */
let dataDir = null

function fail(reason) {
  console.error(`test:electron: FAILED: ${reason}`)
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  process.exit(1)
}

/** The binary Electron's index.js would start, without triggering its download. */
function electronBinary() {
  const packageDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'))
  const pathFile = join(packageDir, 'path.txt')
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron')
  const binary = executable ? join(packageDir, 'dist', executable) : null
  return binary && existsSync(binary) ? binary : null
}

/** Runs this script again inside `wrapper` (a display server, a session bus) and exits with its code. */
function rerunInside(wrapper) {
  const result = spawnSync(wrapper[0], [...wrapper.slice(1), process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: process.env })
  if (result.error) fail(`could not run ${wrapper[0]}: ${result.error.message}`)
  process.exit(result.status ?? 1)
}

/**
 * Chromium refuses to start as root with its sandbox, and an unpackaged Electron on Ubuntu >= 23.10
 * needs chrome-sandbox to be root-owned and setuid (the .deb sets that up). Say when it is off.
 */
function sandboxArgs(binary) {
  if (process.platform !== 'linux') return []
  if (process.getuid?.() === 0) {
    log('running as root: Chromium needs --no-sandbox for that (the renderer sandbox is not exercised)')
    return ['--no-sandbox']
  }
  const helper = join(dirname(binary), 'chrome-sandbox')
  const stats = existsSync(helper) ? statSync(helper) : null
  if (stats && (stats.uid !== 0 || (stats.mode & 0o4000) === 0)) {
    log(`${helper} is not root-owned and setuid; if Electron aborts, run: sudo chown root ${helper} && sudo chmod 4755 ${helper}`)
  }
  return []
}

const binary = electronBinary()
if (!binary) {
  const why = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ? ', and ELECTRON_SKIP_BINARY_DOWNLOAD is set' : ' (npm start downloads it)'
  log(`NOT RUN: no Electron binary is installed here (node_modules/electron/dist is missing${why}).`)
  process.exit(0)
}
for (const built of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
  if (!existsSync(join(root, built))) fail(`${built} is missing: run \`npm run build\` first`)
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) fail('there is no display and xvfb-run is missing (Debian package xvfb)')
  rerunInside(['xvfb-run', '-a', '-s', '-screen 0 1280x800x24'])
}
if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
  // The keychain is the Secret Service on a session bus: a private one with a throwaway keyring.
  rerunInside(['bash', join(root, 'tests/support/with-keyring.sh')])
}

// Playwright can reject outside the awaited call when the binary dies at once; still one reason.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => fail(error instanceof Error ? error.message : String(error)))
}
const { _electron } = await import('@playwright/test')
dataDir = mkdtempSync(join(tmpdir(), 'dsd-electron-smoke-'))
const keychainService = `datasource-desk-smoke-${randomUUID()}`
let app
try {
  app = await _electron.launch({
    executablePath: binary,
    args: [root, ...sandboxArgs(binary)],
    env: { ...process.env, DATASOURCE_DESK_DATA_DIR: dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService },
    timeout: TIMEOUT_MS,
  })
  const exited = new Promise((resolveExit) => app.process().once('exit', (code, signal) => resolveExit({ code, signal })))
  const page = await app.firstWindow({ timeout: TIMEOUT_MS })
  await page.waitForSelector('[data-app-state="ready"]', { timeout: TIMEOUT_MS })
  const state = await page.evaluate(() => window.api.getAppState({}))
  if (!state?.ok) throw new Error(`getAppState over IPC failed: ${JSON.stringify(state)}`)
  if (state.value.dataDir !== dataDir) throw new Error(`the app opened ${state.value.dataDir}, not the temporary folder ${dataDir}`)
  if (!state.value.keychainAvailable) throw new Error(`the app could not use the keychain: ${state.value.keychainMessage ?? 'no reason given'}`)
  if (!existsSync(join(dataDir, 'datasource-desk.sqlite'))) throw new Error(`no database was created in ${dataDir}`)
  log('window ready; IPC round trip answered: database open in the temporary folder, keychain available')
  // The call may not get its answer: the app is gone by then. The exit code tells.
  await app.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => {})
  const { code, signal } = await Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`the app did not quit within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
  ])
  if (code !== 0) throw new Error(`the app quit with ${signal ? `signal ${signal}` : `exit code ${code}`}`)
  log('passed: the app quit cleanly (exit code 0)')
} catch (error) {
  await app?.close().catch(() => {})
  console.error(`test:electron: FAILED: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
