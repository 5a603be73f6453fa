/**
 * The sender check's "is this frame our renderer?" on each platform's path rules. The URLs are the
 * ones Chromium shows for a loaded file (net::FilePathToFileURL: drive letter upper-cased, '%' and
 * spaces escaped, UNC paths as file://host/share); the expected paths are what our main process
 * builds from its start folder (path.win32 on Windows).
 */
import { win32 } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createAppUrlCheck } from '../../../electron/main/app-url'

const rendererFile = '/opt/datasource-desk/out/renderer/index.html'

describe('createAppUrlCheck on Linux', () => {
  it('accepts only the built renderer file, whatever the route', () => {
    const isApp = createAppUrlCheck({ kind: 'file', path: rendererFile }, 'linux')
    expect(isApp(`file://${rendererFile}`)).toBe(true)
    expect(isApp(`file://${rendererFile}#/datasources/1`)).toBe(true)
    expect(isApp(`file://localhost${rendererFile}?x=1`)).toBe(true)
    expect(isApp('file:///opt/datasource-desk/out/renderer/other.html')).toBe(false)
    expect(isApp('file:///opt/datasource-desk/out/renderer/INDEX.html')).toBe(false)
    expect(isApp('file:///tmp/index.html')).toBe(false)
    expect(isApp(`file://evil.example${rendererFile}`)).toBe(false)
    expect(isApp('https://evil.example/index.html')).toBe(false)
    expect(isApp('about:blank')).toBe(false)
    expect(isApp('')).toBe(false)
  })

  it('handles spaces, a "%" and non-ASCII in folder names, escaped or not', () => {
    const path = '/home/zoë/My Apps/100%/out/renderer/index.html'
    const isApp = createAppUrlCheck({ kind: 'file', path }, 'linux')
    expect(isApp(pathToFileURL(path).href)).toBe(true)
    expect(isApp('file:///home/zo%C3%AB/My%20Apps/100%/out/renderer/index.html')).toBe(true)
    expect(isApp('file:///home/zo%C3%AB/My%20Apps/100%25/out/renderer/index.html')).toBe(true)
    expect(isApp('file:///home/zo%C3%AB/My%20Apps/100/out/renderer/index.html')).toBe(false)
    expect(isApp('file:///home/zo%C3%AB/My%20Apps%2F100%25/out/renderer/index.html')).toBe(false)
  })
})

describe('createAppUrlCheck on Windows', () => {
  const check = (path: string) => createAppUrlCheck({ kind: 'file', path }, 'win32')

  it('accepts the upper-cased drive letter Chromium shows for a lower-case start folder', () => {
    const built = win32.join('c:\\Users\\Ann\\AppData\\Local\\Programs\\Datasource Desk\\resources\\app.asar\\out\\main', '..\\renderer\\index.html')
    const chromiumUrl = 'file:///C:/Users/Ann/AppData/Local/Programs/Datasource%20Desk/resources/app.asar/out/renderer/index.html#/x'
    // The same file, as Node reads Chromium's URL on Windows.
    expect(fileURLToPath(chromiumUrl, { windows: true }).toLowerCase()).toBe(built.toLowerCase())
    expect(check(built)(chromiumUrl)).toBe(true)
    expect(check(built)('file:///C:/Users/Ann/AppData/Local/Programs/Datasource%20Desk/resources/app.asar/out/renderer/other.html')).toBe(false)
    expect(check(built)('file:///D:/Users/Ann/AppData/Local/Programs/Datasource%20Desk/resources/app.asar/out/renderer/index.html')).toBe(false)
  })

  it('compares paths case-insensitively, as NTFS does', () => {
    expect(check('C:\\Program Files\\Datasource Desk\\out\\renderer\\index.html')('file:///c:/PROGRAM%20FILES/datasource%20desk/out/renderer/index.html')).toBe(true)
  })

  it('accepts the app run from a UNC share, and only from that share', () => {
    const path = '\\\\fileserver\\tools\\Datasource Desk\\out\\renderer\\index.html'
    const url = pathToFileURL(path, { windows: true }).href
    expect(url.startsWith('file://fileserver/tools/')).toBe(true)
    expect(check(path)(url)).toBe(true)
    expect(check(path)('file://FILESERVER/tools/Datasource%20Desk/out/renderer/index.html')).toBe(true)
    expect(check(path)('file://evil/tools/Datasource%20Desk/out/renderer/index.html')).toBe(false)
    expect(check('C:\\tools\\Datasource Desk\\out\\renderer\\index.html')(url)).toBe(false)
  })

  it('handles a "%" in a folder name, escaped (as Chromium does) or not', () => {
    const path = 'C:\\Users\\Ann\\100% sure\\out\\renderer\\index.html'
    expect(check(path)(pathToFileURL(path, { windows: true }).href)).toBe(true)
    expect(check(path)('file:///C:/Users/Ann/100%25%20sure/out/renderer/index.html')).toBe(true)
    expect(check(path)('file:///C:/Users/Ann/100%%20sure/out/renderer/index.html')).toBe(true)
    expect(check(path)('file:///C:/Users/Ann/100%20sure/out/renderer/index.html')).toBe(false)
  })

  it('accepts forward slashes in the built path and file://localhost URLs', () => {
    expect(check('C:/app/out/renderer/index.html')('file://localhost/C:/app/out/renderer/index.html')).toBe(true)
  })
})

describe('createAppUrlCheck on macOS', () => {
  it('accepts the bundle path in either Unicode form and letter case (APFS default)', () => {
    const composed = '/Applications/Datasource Desk Café.app/Contents/Resources/app.asar/out/renderer/index.html'
    const isApp = createAppUrlCheck({ kind: 'file', path: composed.normalize('NFD') }, 'darwin')
    expect(isApp(pathToFileURL(composed).href)).toBe(true)
    expect(isApp(pathToFileURL(composed.normalize('NFD')).href)).toBe(true)
    expect(isApp(pathToFileURL(composed.replace('Applications', 'applications')).href)).toBe(true)
    expect(isApp(pathToFileURL('/Applications/Other.app/Contents/Resources/app.asar/out/renderer/index.html').href)).toBe(false)
    expect(isApp(`file://evil.example${composed}`)).toBe(false)
  })
})

describe('createAppUrlCheck in development', () => {
  it('accepts only the dev server origin', () => {
    const isApp = createAppUrlCheck({ kind: 'dev', url: 'http://localhost:5173/' })
    expect(isApp('http://localhost:5173/#/x')).toBe(true)
    expect(isApp('http://localhost:5174/')).toBe(false)
    expect(isApp('http://127.0.0.1:5173/')).toBe(false)
    expect(isApp('file:///opt/datasource-desk/out/renderer/index.html')).toBe(false)
  })
})
