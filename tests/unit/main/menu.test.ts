import { beforeEach, describe, expect, it, vi } from 'vitest'
import { electronState, resetElectronMock } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { installApplicationMenu, packagedMenuTemplate } = await import('../../../electron/main/menu')

/** Electron's role names that reload the page or open the developer tools. */
const developerRoles = ['reload', 'forceReload', 'toggleDevTools', 'viewMenu']

describe('the packaged app\'s menu', () => {
  beforeEach(() => resetElectronMock())

  it('on macOS: the app, Edit (copy and paste in fields) and Window menus, nothing to reload or inspect', () => {
    const template = packagedMenuTemplate('darwin')
    expect(template?.map((item) => item.role)).toEqual(['appMenu', 'editMenu', 'windowMenu'])
    expect(JSON.stringify(template)).not.toMatch(new RegExp(developerRoles.join('|'), 'i'))
  })

  it('on Windows and Linux: no menu at all', () => {
    expect(packagedMenuTemplate('win32')).toBeNull()
    expect(packagedMenuTemplate('linux')).toBeNull()
  })

  it('replaces Electron\'s default menu only when packaged', () => {
    installApplicationMenu(false, 'darwin')
    expect(electronState.applicationMenu).toBe('default')
    installApplicationMenu(true, 'darwin')
    expect(electronState.applicationMenu).toEqual({ template: packagedMenuTemplate('darwin') })
    installApplicationMenu(true, 'win32')
    expect(electronState.applicationMenu).toBeNull()
  })
})
