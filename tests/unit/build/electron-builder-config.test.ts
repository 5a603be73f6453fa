/**
 * electron-builder.yml cannot be exercised here (packaging downloads Electron), so it is checked
 * the way electron-builder itself checks it: app-builder-lib's validateConfiguration against its
 * scheme.json, plus the security-relevant settings asserted one by one.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = process.cwd()
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  electronFuses: Record<string, boolean>
  files: string[]
  linux: { target: string[]; category: string }
  mac: { target: string[] }
  win: { target: string[] }
}
const silentDebugLogger = { isEnabled: false, data: new Map(), add: () => {}, save: async () => {} } as unknown as Parameters<typeof validateConfiguration>[1]

describe('electron-builder.yml', () => {
  it('matches electron-builder 26 configuration schema', async () => {
    await expect(validateConfiguration(structuredClone(config) as never, silentDebugLogger)).resolves.toBeUndefined()
  })

  it('is checked by a validator that does reject mistakes', async () => {
    const misspelled = { ...structuredClone(config), electronFuses: { runAsNod: false } }
    await expect(validateConfiguration(misspelled as never, silentDebugLogger)).rejects.toThrow(/electronFuses/)
  })

  it('ships native modules as installed: no rebuild for Electron\'s ABI (they are N-API, see native-modules.test.ts)', () => {
    // A rebuild happens in the project's own node_modules and would leave modules the Node-run
    // CLI and tests cannot load.
    expect(config.npmRebuild).toBe(false)
    expect(config.buildDependenciesFromSource).toBe(false)
  })

  it('names the product and packs the app into an asar', () => {
    expect(config.productName).toBe('Datasource Desk')
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    expect(config.asar).toBe(true)
  })

  it('sets the security fuses for packaged builds', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    })
  })

  it('packs the built app, package.json and the icons read at run time', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json']))
    const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }
    expect(packageJson.main.startsWith('out/')).toBe(true)
    for (const icon of ['resources/icon.png', ...['ok', 'attention', 'error'].flatMap((s) => [`resources/tray/${s}.png`, `resources/tray/${s}@2x.png`])]) {
      expect(existsSync(join(root, icon)), icon).toBe(true)
    }
  })

  it('builds AppImage and deb for Linux (Development), and targets for macOS and Windows', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']))
    expect(config.linux.category).toBe('Development')
    expect(config.mac.target.length).toBeGreaterThan(0)
    expect(config.win.target.length).toBeGreaterThan(0)
  })
})
