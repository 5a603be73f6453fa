/**
 * Renders the tray model (electron/core/tray-model.ts) into Electron's Tray and Menu. No decisions
 * are made here; what the menu says is computed and tested in the core.
 */
import { Menu, Tray, type MenuItemConstructorOptions, type NativeImage } from 'electron'
import type { TrayAction, TrayItem, TrayModel } from '../core/tray-model'
import type { Severity } from '../../shared/token'

export interface TrayActions {
  renew(datasourceId: string): void
  open(datasourceId?: string): void
  quit(): void
}

export interface TrayView {
  render(model: TrayModel): void
  destroy(): void
}

/** Creates the tray icon; `iconFor` gives the image (or its path) for a severity. */
export function createTrayView(iconFor: (severity: Severity) => NativeImage | string, actions: TrayActions): TrayView {
  let shownSeverity: Severity = 'ok'
  const tray = new Tray(iconFor(shownSeverity))
  // Windows and macOS users expect a click on the icon to bring the window back.
  tray.on('click', () => actions.open())

  return {
    render(model) {
      if (tray.isDestroyed()) return
      if (model.severity !== shownSeverity) {
        shownSeverity = model.severity
        tray.setImage(iconFor(shownSeverity))
      }
      tray.setToolTip(model.tooltip)
      tray.setContextMenu(Menu.buildFromTemplate(model.items.map((item) => toMenuItem(item, actions))))
    },
    destroy() {
      if (!tray.isDestroyed()) tray.destroy()
    },
  }
}

/**
 * A menu label showing `text` as it is. '&' marks the access key in a label (Windows and Linux;
 * Chromium strips it on macOS too), so "R&D API" would show as "RD API"; '&&' is a literal one.
 */
export function menuLabel(text: string): string {
  return text.replaceAll('&', '&&')
}

function toMenuItem(item: TrayItem, actions: TrayActions): MenuItemConstructorOptions {
  switch (item.kind) {
    case 'separator':
      return { type: 'separator' }
    case 'info':
      return { label: menuLabel(item.label), enabled: false }
    case 'datasource':
      // A submenu per datasource: its actions carry their own labels without repeating at top level.
      return { label: menuLabel(item.label), submenu: item.items.map((child) => toMenuItem(child, actions)) }
    case 'action':
      return { label: menuLabel(item.label), enabled: item.enabled, click: () => runTrayAction(item.action, actions) }
  }
}

/** What a click on a tray item does; also run by the e2e harness, which cannot click a native menu. */
export function runTrayAction(action: TrayAction, actions: TrayActions): void {
  switch (action.type) {
    case 'renew':
      return actions.renew(action.datasourceId)
    case 'open':
      return actions.open(action.datasourceId)
    case 'quit':
      return actions.quit()
  }
}
