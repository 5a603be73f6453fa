import { describe, expect, it } from 'vitest'
import { DATABASE_FILE } from '../../../electron/core/core'
import { DATABASE_FILE_NAME, defaultDataDir, keychainServiceName, resolveDataDir } from '../../../electron/core/locations'

describe('data folder and keychain service', () => {
  it("matches Electron's userData folder on each platform", () => {
    expect(defaultDataDir('linux', {}, '/home/ana')).toBe('/home/ana/.config/Datasource Desk')
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/xdg' }, '/home/ana')).toBe('/xdg/Datasource Desk')
    expect(defaultDataDir('darwin', {}, '/Users/ana')).toBe('/Users/ana/Library/Application Support/Datasource Desk')
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\Datasource Desk')
  })

  it('ignores a relative or empty XDG_CONFIG_HOME and a missing APPDATA, as the specs say', () => {
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: 'relative/dir' }, '/home/ana')).toBe('/home/ana/.config/Datasource Desk')
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: ' ' }, '/home/ana')).toBe('/home/ana/.config/Datasource Desk')
    expect(defaultDataDir('win32', {}, 'C:\\Users\\ana')).toBe('C:\\Users\\ana\\AppData\\Roaming\\Datasource Desk')
  })

  it('takes an explicit folder first, then DATASOURCE_DESK_DATA_DIR, then the default', () => {
    const env = { DATASOURCE_DESK_DATA_DIR: '/from/env' }
    expect(resolveDataDir('/explicit', 'linux', env, '/home/ana')).toBe('/explicit')
    expect(resolveDataDir(undefined, 'linux', env, '/home/ana')).toBe('/from/env')
    expect(resolveDataDir('', 'linux', {}, '/home/ana')).toBe('/home/ana/.config/Datasource Desk')
  })

  it('uses the app keychain service unless DATASOURCE_DESK_KEYCHAIN_SERVICE names another', () => {
    expect(keychainServiceName({})).toBe('Datasource Desk')
    expect(keychainServiceName({ DATASOURCE_DESK_KEYCHAIN_SERVICE: 'tests-1' })).toBe('tests-1')
    expect(keychainServiceName({ DATASOURCE_DESK_KEYCHAIN_SERVICE: '' })).toBe('Datasource Desk')
  })

  it("names the same database file as the core", () => {
    expect(DATABASE_FILE_NAME).toBe(DATABASE_FILE)
  })
})
