import { randomUUID } from 'node:crypto'

/**
 * A name for this process in the tables shared with the CLI and other app instances (renewal
 * leases, keychain writes in progress). The pid in front lets another process see that the holder
 * was killed (holderGone).
 */
export function newHolderId(): string {
  return `${process.pid}:${randomUUID()}`
}

/**
 * True when the process that holds a lease or a pending write no longer exists (killed or crashed),
 * whose claim would otherwise block others until it expires. A holder without a pid, this process,
 * and a process we may not signal (EPERM: it exists) all count as alive. A holder in another PID
 * namespace (a sandboxed CLI) looks gone; the cost is one extra renewal, not a loss.
 */
export function holderGone(holder: string): boolean {
  const pid = Number(/^(\d+):/.exec(holder)?.[1])
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
