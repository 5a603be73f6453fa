/**
 * The save and open dialogs behind the window's Export and Import. Main only answers with a path;
 * the core reads and writes the file. The window never names a path itself, so a compromised page
 * cannot make the app read or overwrite a file the user did not pick.
 */
import { join } from 'node:path'
import { dialog, type BaseWindow, type OpenDialogOptions, type SaveDialogOptions } from 'electron'
import type { FileDialogPort } from '../core/datasource-transfer'

const JSON_FILTERS = [
  { name: 'Datasource Desk export (JSON)', extensions: ['json'] },
  { name: 'All files', extensions: ['*'] },
]

/**
 * Electron's dialogs, modal to the window when there is one. From electron.d.ts and Electron's
 * dialog docs: a cancelled save dialog resolves { canceled: true, filePath: '' } and a cancelled
 * open dialog { canceled: true, filePaths: [] }; on Linux the save dialog asks before replacing an
 * existing file only with 'showOverwriteConfirmation'.
 */
export function createFileDialogs(getWindow: () => BaseWindow | null, documentsDir: () => string): FileDialogPort {
  const save = (options: SaveDialogOptions) => {
    const window = getWindow()
    return window ? dialog.showSaveDialog(window, options) : dialog.showSaveDialog(options)
  }
  const open = (options: OpenDialogOptions) => {
    const window = getWindow()
    return window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options)
  }
  return {
    async chooseExportPath(suggestedName) {
      const { canceled, filePath } = await save({
        title: 'Export datasources',
        buttonLabel: 'Export',
        defaultPath: join(documentsDir(), suggestedName),
        filters: JSON_FILTERS,
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      })
      return canceled || !filePath ? null : filePath
    },
    async chooseImportPath() {
      const { canceled, filePaths } = await open({
        title: 'Import datasources',
        buttonLabel: 'Import',
        defaultPath: documentsDir(),
        filters: JSON_FILTERS,
        properties: ['openFile'],
      })
      return canceled ? null : (filePaths[0] ?? null)
    },
  }
}
