import { describe, expect, it } from 'vitest'
import { parseBooleanReply, trayIsShown } from '../../../electron/main/tray-support'

describe('trayIsShown', () => {
  it('is always true on Windows and macOS, without asking anything', async () => {
    const query = async (): Promise<string> => {
      throw new Error('must not be asked')
    }
    expect(await trayIsShown('win32', query)).toBe(true)
    expect(await trayIsShown('darwin', query)).toBe(true)
  })

  it('on Linux follows the StatusNotifierWatcher: a registered host means a visible icon', async () => {
    expect(await trayIsShown('linux', async () => 'method return time=1 sender=:1.4 -> destination=:1.9 serial=7 reply_serial=2\n   variant       boolean true\n')).toBe(true)
    expect(await trayIsShown('linux', async () => '   variant       boolean false\n')).toBe(false)
  })

  it('on Linux counts no watcher, no bus or a failing query as no tray (plain GNOME Shell)', async () => {
    expect(await trayIsShown('linux', async () => null)).toBe(false)
    expect(
      await trayIsShown('linux', async () => {
        throw new Error('spawn dbus-send ENOENT')
      }),
    ).toBe(false)
  })

  it('reads only a boolean true as true', () => {
    expect(parseBooleanReply('variant boolean true')).toBe(true)
    expect(parseBooleanReply('variant boolean trueish')).toBe(false)
    expect(parseBooleanReply('Error org.freedesktop.DBus.Error.ServiceUnknown: The name org.kde.StatusNotifierWatcher was not provided by any .service files')).toBe(false)
  })

  it('asks the real session bus here without hanging, and finds no tray host', async () => {
    // No desktop runs on the test machines: with or without a session bus, nobody hosts tray icons.
    expect(await trayIsShown('linux')).toBe(false)
  })
})
