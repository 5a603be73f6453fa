/**
 * The data folder holds who the user is (names, usernames, token URLs) and the log of what was
 * renewed: readable by the user alone, whatever the umask (issue 11, item 10). Folders 0700,
 * files 0600; existing ones, made by an older version under umask 022, are tightened too. On
 * Windows the mode bits mean nothing: the profile folder's ACL already protects the data.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'

const PRIVATE_DIR_MODE = 0o700
const PRIVATE_FILE_MODE = 0o600
const onWindows = process.platform === 'win32'

/** Creates the folder (and its missing parents) for the user alone, or tightens it when it exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  if (!onWindows) tighten(dir, PRIVATE_DIR_MODE)
}

/** Creates an empty file readable by the user alone when none exists, so nothing else decides its mode. */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE))
  tightenFile(file)
}

/** Makes an existing file private; a missing one is fine (SQLite's -wal and -shm come and go). */
export function tightenFile(file: string): void {
  if (!onWindows) tighten(file, PRIVATE_FILE_MODE)
}

/**
 * Best effort: a folder the user chose that belongs to someone else (EPERM) or sits on a
 * read-only mount is used as it is; refusing to start over its mode would help no one.
 */
function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode)
  } catch {
    // Missing (-wal and -shm come and go), or not ours to change.
  }
}
