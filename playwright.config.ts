import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { defineConfig, type Project } from '@playwright/test'

/**
 * Two targets for the same specs: `web` (Debian's Chromium on the built renderer, window.api bound
 * to the real core in the test process) runs everywhere; `electron` (the packaged app through
 * Playwright's _electron.launch) runs only where an Electron binary is installed. Where it is not,
 * say so once, plainly: those specs are not run, and not reported as passed.
 */
function electronBinary(): string | null {
  // Read electron's path.txt ourselves: require('electron') would try to download the binary.
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'))
  const pathFile = join(packageDir, 'path.txt')
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null
  // As electron/index.js: the override folder holds the executable path.txt names (or "electron").
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const binary = override ? join(override, executable || 'electron') : executable ? join(packageDir, 'dist', executable) : null
  return binary && existsSync(binary) ? binary : null
}

// Debian's Chromium: Playwright's own browser download is not reachable on these machines.
const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
}

const projects: Project[] = [{ name: 'web', use: { browserName: 'chromium', launchOptions: chromium } }]
if (electronBinary()) {
  projects.push({ name: 'electron', metadata: { target: 'electron' } })
} else if (!process.env.PLAYWRIGHT_ELECTRON_NOTICE_SHOWN) {
  process.env.PLAYWRIGHT_ELECTRON_NOTICE_SHOWN = '1'
  console.log('e2e: electron target NOT RUN: no Electron binary is installed here (node_modules/electron/dist is missing); only the web target runs.')
}

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 45_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects,
})
