/**
 * Will the user see a tray icon? On Windows and macOS, yes. On Linux, Electron's tray is a
 * StatusNotifierItem, shown only when a host is registered on the session bus (KDE Plasma, Ubuntu's
 * AppIndicator extension, XFCE's and other panels' plugins). Plain GNOME Shell has none, and the
 * fallback GtkStatusIcon is not displayed there (ELECTRON-NOTES.md), so an app that hides its
 * window on close would become invisible.
 */
import { execFile } from 'node:child_process'

const QUERY_TIMEOUT_MS = 2_000

/** dbus-send's reply to the IsStatusNotifierHostRegistered property, or null when there was none. */
export type BusQuery = () => Promise<string | null>

export async function trayIsShown(platform: NodeJS.Platform = process.platform, query: BusQuery = queryStatusNotifierHost): Promise<boolean> {
  if (platform !== 'linux') return true
  const reply = await query().catch(() => null)
  return reply !== null && parseBooleanReply(reply)
}

/** Reads `dbus-send --print-reply`'s answer: "variant       boolean true". */
export function parseBooleanReply(reply: string): boolean {
  return /\bboolean\s+true\b/.test(reply)
}

/** Asks the StatusNotifierWatcher; no watcher, no bus or no dbus-send all mean "no tray". */
function queryStatusNotifierHost(): Promise<string | null> {
  const args = [
    '--session',
    '--print-reply',
    '--dest=org.kde.StatusNotifierWatcher',
    '/StatusNotifierWatcher',
    'org.freedesktop.DBus.Properties.Get',
    'string:org.kde.StatusNotifierWatcher',
    'string:IsStatusNotifierHostRegistered',
  ]
  return new Promise((resolve) => {
    execFile('dbus-send', args, { timeout: QUERY_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => resolve(error ? null : stdout))
  })
}
