/**
 * `npm start` must get an Electron binary onto the machine before electron-vite looks for it
 * (scripts/electron-vite.mjs). The Electron download cannot happen here, so each test builds a
 * small project whose node_modules/electron is Electron's real index.js and package.json with an
 * install.js that "downloads" a fake binary, next to the real electron-vite. The fake binary
 * records how electron-vite started it.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempDir } from '../../support/temp-dir'

const root = process.cwd()
const script = join(root, 'scripts/electron-vite.mjs')
const realElectron = dirname(join(root, 'node_modules/electron/package.json'))

/** A shell script standing in for the Electron binary: writes its folder and arguments down. */
const fakeBinary = (record: string) => `#!/bin/sh\nprintf '%s\\n' "$PWD" "$@" > '${record}'\n`

let cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups) cleanup()
  cleanups = []
})

function project(download: 'works' | 'fails') {
  const { dir, cleanup } = makeTempDir('dsd-start-')
  cleanups.push(cleanup)
  const electronDir = join(dir, 'node_modules/electron')
  mkdirSync(electronDir, { recursive: true })
  copyFileSync(join(realElectron, 'index.js'), join(electronDir, 'index.js'))
  copyFileSync(join(realElectron, 'package.json'), join(electronDir, 'package.json'))
  symlinkSync(join(root, 'node_modules/electron-vite'), join(dir, 'node_modules/electron-vite'))
  const record = join(dir, 'electron-started.txt')
  const downloaded = join(dir, 'downloaded.txt')
  // What Electron's install.js leaves behind: dist/<binary> and path.txt naming it.
  const install =
    download === 'works'
      ? `const fs = require('fs'); const path = require('path');
fs.mkdirSync(path.join(__dirname, 'dist'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'dist', 'electron'), ${JSON.stringify(fakeBinary(record))}, { mode: 0o755 });
fs.writeFileSync(path.join(__dirname, 'path.txt'), 'electron');
fs.writeFileSync(${JSON.stringify(downloaded)}, 'yes');`
      : `require('fs').writeFileSync(${JSON.stringify(downloaded)}, 'tried'); console.error('getaddrinfo ENOTFOUND github.com'); process.exit(1);`
  writeFileSync(join(electronDir, 'install.js'), install)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'start-fixture', main: 'main.js' }))
  writeFileSync(join(dir, 'main.js'), '')
  return { dir, electronDir, record, downloaded }
}

function runStart(cwd: string, env: Record<string, string | undefined> = {}) {
  const environment: NodeJS.ProcessEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: undefined, ELECTRON_OVERRIDE_DIST_PATH: undefined, ELECTRON_EXEC_PATH: undefined, ...env }
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete environment[name]
  return spawnSync(process.execPath, [script, 'preview', '--skipBuild'], { cwd, env: environment, encoding: 'utf8', timeout: 60_000 })
}

describe('npm start (scripts/electron-vite.mjs)', () => {
  it('is what npm start and npm run dev run', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    expect(scripts.start).toBe('node scripts/electron-vite.mjs preview')
    expect(scripts.dev).toBe('node scripts/electron-vite.mjs dev')
  })

  it('downloads the missing binary through Electron\'s index.js, then electron-vite starts that binary on the project', () => {
    const fixture = project('works')
    const result = runStart(fixture.dir)
    expect(result.status, result.stderr).toBe(0)
    expect(readFileSync(fixture.downloaded, 'utf8')).toBe('yes')
    // electron-vite's startElectron: spawn(binary, ['.', ...]) in the project folder.
    expect(readFileSync(fixture.record, 'utf8').trim().split('\n')).toEqual([fixture.dir, '.'])
  })

  it('does not download again when the binary is there', () => {
    const fixture = project('works')
    expect(runStart(fixture.dir).status).toBe(0)
    writeFileSync(fixture.downloaded, 'only once')
    expect(runStart(fixture.dir).status).toBe(0)
    expect(readFileSync(fixture.downloaded, 'utf8')).toBe('only once')
  })

  it('without Electron\'s own script, electron-vite alone fails the way the issue describes', () => {
    const fixture = project('works')
    const bare = spawnSync(process.execPath, [join(fixture.dir, 'node_modules/electron-vite/bin/electron-vite.js'), 'preview', '--skipBuild'], {
      cwd: fixture.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ELECTRON_EXEC_PATH: '' },
    })
    expect(bare.status).not.toBe(0)
    expect(`${bare.stdout}${bare.stderr}`).toContain('Electron uninstall')
    expect(existsSync(fixture.downloaded)).toBe(false)
  })

  it('says in one line why it cannot start when the download fails, and does not run electron-vite', () => {
    const fixture = project('fails')
    const result = runStart(fixture.dir)
    expect(result.status).toBe(1)
    expect(readFileSync(fixture.downloaded, 'utf8')).toBe('tried')
    expect(result.stderr).toMatch(/^start: the Electron binary could not be downloaded \(Electron failed to install correctly/m)
    expect(existsSync(fixture.record)).toBe(false)
  })

  it('does not try to download under ELECTRON_SKIP_BINARY_DOWNLOAD (as .ci/run sets it) and says so', () => {
    const fixture = project('works')
    const result = runStart(fixture.dir, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD is set')
    expect(existsSync(fixture.downloaded)).toBe(false)
  })

  it('uses ELECTRON_OVERRIDE_DIST_PATH the way Electron\'s index.js does, without downloading', () => {
    const fixture = project('works')
    const dist = join(fixture.dir, 'custom-dist')
    mkdirSync(dist)
    writeFileSync(join(dist, 'electron'), fakeBinary(fixture.record))
    chmodSync(join(dist, 'electron'), 0o755)
    const result = runStart(fixture.dir, { ELECTRON_OVERRIDE_DIST_PATH: dist, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
    expect(result.status, result.stderr).toBe(0)
    expect(existsSync(fixture.downloaded)).toBe(false)
    expect(readFileSync(fixture.record, 'utf8').trim().split('\n')).toEqual([fixture.dir, '.'])
  })

  it('leaves npm ci alone: Electron has no install script, and neither do we', () => {
    const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    const electron = JSON.parse(readFileSync(join(realElectron, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(ours.scripts[hook], hook).toBeUndefined()
      expect(electron.scripts?.[hook], hook).toBeUndefined()
    }
  })
})
