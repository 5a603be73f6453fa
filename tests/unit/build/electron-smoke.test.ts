/**
 * `npm run test:electron` (tests/electron/smoke.mjs) runs the built app in real Electron where a
 * binary exists. Here there is none: it must say so in one line and not count as a failure; and
 * where a binary exists but does not work, it must fail with its reason, never pass quietly.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTempDir } from '../../support/temp-dir'

const script = join(process.cwd(), 'tests/electron/smoke.mjs')
const temp = makeTempDir('dsd-smoke-')
afterAll(() => temp.cleanup())

function runSmoke(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 })
}

describe('npm run test:electron', () => {
  it('is part of npm test, after the build', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
    expect(scripts['test:electron']).toBe('node tests/electron/smoke.mjs')
    expect(scripts['test:all']).toMatch(/npm run build && npm run test:electron/)
  })

  it('prints one line saying it was not run, and why, where no Electron binary is installed', () => {
    const result = runSmoke({ ELECTRON_OVERRIDE_DIST_PATH: '', ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual([
      'test:electron: NOT RUN: no Electron binary is installed here (node_modules/electron/dist is missing, and ELECTRON_SKIP_BINARY_DOWNLOAD is set).',
    ])
  })

  it('fails with its reason when the Electron binary it finds does not start the app', () => {
    const dist = join(temp.dir, 'broken-electron')
    mkdirSync(dist, { recursive: true })
    writeFileSync(join(dist, 'electron'), '#!/bin/sh\necho "broken electron" >&2\nexit 3\n')
    chmodSync(join(dist, 'electron'), 0o755)
    // A display and a bus are claimed so that the script does not wrap itself in xvfb-run/dbus.
    const result = runSmoke({ ELECTRON_OVERRIDE_DIST_PATH: dist, DISPLAY: ':99', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/^test:electron: FAILED: /m)
    expect(result.stdout).not.toContain('passed')
  })
})
