import { beforeEach, describe, expect, it, vi } from 'vitest'
import { electronModule, FakeBrowserWindow, resetElectronMock } from '../../support/electron-mock'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { createFileDialogs } = await import('../../../electron/main/file-dialogs')

const documents = () => '/home/ana/Documents'

describe("main's file dialogs for Export and Import", () => {
  beforeEach(() => resetElectronMock())

  it('are modal to the window, suggest a name in Documents and ask before overwriting on Linux', async () => {
    const window = new FakeBrowserWindow({})
    electronModule.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/home/ana/Documents/crm.json' })
    const dialogs = createFileDialogs(() => window as never, documents)
    await expect(dialogs.chooseExportPath('crm.json')).resolves.toBe('/home/ana/Documents/crm.json')
    const [parent, options] = electronModule.dialog.showSaveDialog.mock.calls[0]!
    expect(parent).toBe(window)
    expect(options).toMatchObject({ defaultPath: '/home/ana/Documents/crm.json', properties: expect.arrayContaining(['showOverwriteConfirmation']) })
  })

  it('answer null when the user cancels, as Electron reports it (empty path, empty list)', async () => {
    const dialogs = createFileDialogs(() => null, documents)
    await expect(dialogs.chooseExportPath('x.json')).resolves.toBeNull()
    await expect(dialogs.chooseImportPath()).resolves.toBeNull()
    // Without a window the dialogs take the options alone (Electron's other overload).
    expect(electronModule.dialog.showSaveDialog.mock.calls[0]).toHaveLength(1)
    expect(electronModule.dialog.showOpenDialog.mock.calls[0]).toHaveLength(1)
  })

  it('import opens one file, never a folder', async () => {
    electronModule.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/tmp/a.json'] })
    const dialogs = createFileDialogs(() => null, documents)
    await expect(dialogs.chooseImportPath()).resolves.toBe('/tmp/a.json')
    expect(electronModule.dialog.showOpenDialog.mock.calls[0]![0]).toMatchObject({ properties: ['openFile'] })
  })
})
