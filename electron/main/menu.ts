/**
 * The application menu. Electron's default one stays unless replaced, and it carries Reload,
 * Force Reload and Toggle Developer Tools: fine while developing, not in the packaged app.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron'

/**
 * The packaged app's menu: none on Windows and Linux (the window has no menu bar and Chromium
 * handles the editing shortcuts itself); on macOS the app, Edit (copy and paste in text fields go
 * through it there) and Window menus.
 */
export function packagedMenuTemplate(platform: NodeJS.Platform): MenuItemConstructorOptions[] | null {
  if (platform !== 'darwin') return null
  return [{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }]
}

/** Replaces the default menu in the packaged app; development keeps it (reload and DevTools help there). */
export function installApplicationMenu(isPackaged: boolean, platform: NodeJS.Platform = process.platform): void {
  if (!isPackaged) return
  const template = packagedMenuTemplate(platform)
  Menu.setApplicationMenu(template ? Menu.buildFromTemplate(template) : null)
}
