/**
 * Where Datasource Desk keeps its data and which keychain service it uses, shared by the Electron
 * app and the `datasource-desk` command so that both open the same database and the same keychain
 * entries (issue 6). Pure: the platform, environment and home folder are passed in.
 */
import { posix, win32 } from 'node:path'

export const APP_NAME = 'Datasource Desk'
/** The keychain service of the app; tests and side-by-side installs override it. */
export const DEFAULT_KEYCHAIN_SERVICE = 'Datasource Desk'
/** Names the SQLite file in the data folder; core.ts's DATABASE_FILE must stay equal to it. */
export const DATABASE_FILE_NAME = 'datasource-desk.sqlite'

export const DATA_DIR_ENV = 'DATASOURCE_DESK_DATA_DIR'
export const KEYCHAIN_SERVICE_ENV = 'DATASOURCE_DESK_KEYCHAIN_SERVICE'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * The folder Electron's app.getPath('userData') gives the packaged app (appData + product name),
 * computed without Electron so that a plain Node process finds the same database.
 */
export function defaultDataDir(platform: NodeJS.Platform, env: Env, homedir: string): string {
  if (platform === 'win32') {
    return win32.join(nonEmpty(env.APPDATA) ?? win32.join(homedir, 'AppData', 'Roaming'), APP_NAME)
  }
  if (platform === 'darwin') return posix.join(homedir, 'Library', 'Application Support', APP_NAME)
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_CONFIG_HOME)
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(homedir, '.config'), APP_NAME)
}

/** The data folder: an explicit choice (e.g. `--data-dir`) first, then the environment, then the default. */
export function resolveDataDir(explicit: string | undefined, platform: NodeJS.Platform, env: Env, homedir: string): string {
  return nonEmpty(explicit) ?? nonEmpty(env[DATA_DIR_ENV]) ?? defaultDataDir(platform, env, homedir)
}

/** The keychain service name: the environment's override, or the app's own. */
export function keychainServiceName(env: Env): string {
  return nonEmpty(env[KEYCHAIN_SERVICE_ENV]) ?? DEFAULT_KEYCHAIN_SERVICE
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined
}
