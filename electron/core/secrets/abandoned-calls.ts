/**
 * Native keychain calls whose caller gave up (timed out) and that still run. keytar makes each call
 * on a libuv thread-pool thread, and Node joins every pool thread when the process exits, even
 * through process.exit: a Secret Service that accepted a call and never answers keeps the process
 * alive until D-Bus's own method timeout (25 s, twice for a lookup). A command that must exit
 * reads this count to leave another way (electron/cli/index.ts). Its own tiny module, so the CLI's
 * entry can read it without loading the keychain store.
 */
let stuck = 0

export const abandonedKeychainCalls = (): number => stuck

export function noteAbandonedKeychainCall(): () => void {
  stuck++
  let done = false
  return () => {
    if (done) return
    done = true
    stuck--
  }
}
