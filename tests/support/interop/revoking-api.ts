/**
 * An API in front of an interop server's own protected resource, for "renew once on 401": when
 * armed, the next bearer token it is shown is first revoked at the server's RFC 7009 endpoint (as
 * an administrator or a password change would, after the token was issued), then the request goes
 * on to the server's resource, which decides with its own check: the 401 and the 200 are the real
 * server's answers. 127.0.0.1 only; stops with the test process.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { PLAIN_CLIENT, type InteropServer } from './interop-server'

export interface RevokingApi {
  readonly url: string
  /** The bearer tokens shown to the API, oldest first. */
  readonly tokensSeen: ReadonlyArray<string>
  /** The statuses the API answered, oldest first. */
  readonly statuses: ReadonlyArray<number>
  /** Revoke the next token shown before passing the request on. */
  revokeNext(): void
  close(): Promise<void>
}

export async function startRevokingApi(server: InteropServer): Promise<RevokingApi> {
  const endpoint = server.revocation?.endpoint
  if (!endpoint) throw new Error(`${server.key} has no revocation endpoint`)
  const tokensSeen: string[] = []
  const statuses: number[] = []
  let armed = false
  const sockets = new Set<Socket>()
  const http: Server = createServer((req, res) => {
    void (async () => {
      const authorization = req.headers.authorization ?? ''
      const token = /^Bearer (\S+)$/.exec(authorization)?.[1]
      if (token) tokensSeen.push(token)
      if (armed && token) {
        armed = false
        const body = new URLSearchParams({ token, token_type_hint: 'access_token', client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret })
        const revoked = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
        await revoked.body?.cancel()
        if (revoked.status !== 200) throw new Error(`revocation answered ${revoked.status}`)
      }
      const answer = await fetch(server.apiUrl, { headers: authorization ? { authorization } : {} })
      const text = await answer.text()
      statuses.push(answer.status)
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', connection: 'close' }).end(text)
    })().catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()))
  })
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  http.unref()
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/api`,
    tokensSeen,
    statuses,
    revokeNext() {
      armed = true
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => http.close(() => resolve()))
    },
  }
}
