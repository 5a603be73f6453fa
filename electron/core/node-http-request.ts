/**
 * The command line's fetch: Node's own http/https client behind the app's request adapter
 * (request-fetch.ts), in place of Node's fetch. A command makes one or two requests and exits, and
 * Node's fetch spends about 17 ms more CPU than this on its first one (undici's connection pool
 * and its WebAssembly HTTP parser: 37 against 20 ms here), a tenth of `token` with a due token
 * (bench/RESULTS.md). Node's http client parses with the llhttp built into Node.
 *
 * Kept as Node's fetch does it: the same TLS defaults and certificate store, every 3xx returned
 * (the core never follows redirects), the reason phrase decoded as UTF-8, header values one
 * character per byte, and Node's fetch's `accept` (any type) and `user-agent` (`node`) when the
 * request sets none (some APIs refuse a request without a user agent). Not sent:
 * `accept-encoding`, so servers answer uncompressed, as this client does not decompress.
 */
import { Buffer } from 'node:buffer'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { FetchLike } from './deps'
import { createRequestFetch, type ClientRequestLike, type ClientRequestOptions, type IncomingMessageLike } from './request-fetch'

/** What Node's fetch sends when the request does not say. */
const FETCH_DEFAULT_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['accept', '*/*'],
  ['user-agent', 'node'],
]

export function createNodeHttpFetch(): FetchLike {
  return createRequestFetch(requestOverNodeHttp, 'latin1')
}

function requestOverNodeHttp(options: ClientRequestOptions): ClientRequestLike {
  const url = new URL(options.url)
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null
  if (!send) throw new TypeError(`unknown scheme ${url.protocol}`)
  // The default agent: its idle keep-alive sockets do not keep a command from exiting, and with
  // NODE_USE_ENV_PROXY=1 it goes through HTTP_PROXY / HTTPS_PROXY as Node's fetch does (checked on
  // Node 22.23).
  const client = send(url, { method: options.method })
  const request: ClientRequestLike = {
    setHeader: (name, value) => client.setHeader(name, value),
    end(chunk) {
      for (const [name, value] of FETCH_DEFAULT_HEADERS) if (!client.hasHeader(name)) client.setHeader(name, value)
      client.end(chunk)
    },
    abort: () => void client.destroy(),
    // Node's client never follows a redirect: a 3xx arrives as a response, as the adapter returns it.
    followRedirect: () => {},
    on(event: string, listener: (...args: never[]) => void) {
      if (event === 'response') client.on('response', (message) => (listener as (message: IncomingMessageLike) => void)(incoming(message)))
      else if (event === 'error') client.on('error', listener as (error: Error) => void)
      return request
    },
  }
  return request
}

/** Node's IncomingMessage as the adapter reads it. */
function incoming(message: IncomingMessage): IncomingMessageLike {
  // The adapter listens for errors only while it streams a body; an error after that (the socket
  // destroyed once the request is over) must not become an uncaught exception.
  message.on('error', () => {})
  const response: IncomingMessageLike = {
    statusCode: message.statusCode ?? 0,
    // Node's parser reads the status line one character per byte; Node's fetch decodes it as UTF-8.
    statusMessage: Buffer.from(message.statusMessage ?? '', 'latin1').toString('utf8'),
    rawHeaders: message.rawHeaders,
    on(event: string, listener: (...args: never[]) => void) {
      message.on(event, listener as (...args: unknown[]) => void)
      return response
    },
    pause: () => message.pause(),
    resume: () => message.resume(),
  }
  return response
}
