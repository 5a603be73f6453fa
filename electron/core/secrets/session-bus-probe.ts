/**
 * A quick look at the D-Bus session bus before keytar is loaded on Linux (issue 11, item 2).
 * libsecret connects to the bus synchronously on a libuv thread-pool thread, and a bus that
 * accepts the connection and never answers keeps that thread blocked for good: our timeout
 * abandons the call, but Node joins every pool thread when it exits, so the process could never
 * exit (`$(datasource-desk token crm)` hung the script). Checking that the bus answers the first
 * step of its handshake (SASL, plain text) from the event loop, with a deadline, means keytar is
 * never called on a bus that would swallow the thread.
 */
import { connect, type Socket } from 'node:net'
import { KeychainError } from './secret-store'

/** The session bus's socket, from DBUS_SESSION_BUS_ADDRESS; null when it names none we can reach. */
export function sessionBusSocket(address: string | undefined): { path: string } | { host: string; port: number } | null {
  if (!address) return null
  for (const entry of address.split(';')) {
    const [transport, rest = ''] = entry.split(/:(.*)/s)
    const params = new Map(rest.split(',').map((pair) => pair.split('=').map(decodeURIComponent) as [string, string]))
    if (transport === 'unix' && params.get('path')) return { path: params.get('path')! }
    // Linux abstract sockets: Node names them with a leading NUL.
    if (transport === 'unix' && params.get('abstract')) return { path: `\0${params.get('abstract')!}` }
    if (transport === 'tcp' && params.get('port')) return { host: params.get('host') ?? '127.0.0.1', port: Number(params.get('port')) }
  }
  return null
}

/**
 * Resolves when the bus answers an authentication request (any answer: OK or REJECTED), rejects
 * with a KeychainError when the socket cannot be reached ("unavailable") or stays silent
 * ("timeout"). Without an address there is nothing to check: libsecret then fails fast by itself.
 */
export function probeSessionBus(address: string | undefined, timeoutMs: number): Promise<void> {
  const target = sessionBusSocket(address)
  if (!target) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const socket: Socket = 'path' in target ? connect(target.path) : connect(target.port, target.host)
    const finish = (error?: KeychainError): void => {
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(
      () => finish(new KeychainError(`The OS keychain did not answer within ${timeoutMs} ms (the D-Bus session bus accepts connections but does not answer)`, 'timeout')),
      timeoutMs,
    )
    socket.once('connect', () => {
      const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0'
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'ascii').toString('hex')}\r\n`)
    })
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) finish()
    })
    socket.once('error', (error: Error) => finish(new KeychainError(`The OS keychain is not available (D-Bus session bus: ${error.message})`, 'unavailable')))
    socket.once('close', () => finish(new KeychainError('The OS keychain is not available (the D-Bus session bus closed the connection)', 'unavailable')))
  })
}
