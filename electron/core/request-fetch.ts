/**
 * The core's fetch over a request function shaped like Electron's `net.request` (and Node's
 * `http.request`, which it was modelled on), built to behave like Node's fetch for everything the
 * core relies on. Two users:
 *
 * - the app: Electron's `net.request` (Chromium's network stack, so the system proxy, the OS
 *   certificate store and the session's webRequest handlers apply), electron/main/app.ts;
 * - the command line: Node's own http/https client (node-http-request.ts), which answers a first
 *   request sooner than Node's fetch (bench/RESULTS.md).
 *
 * `net.fetch` itself cannot be used as is (../shared/ELECTRON-NOTES.md):
 *
 * - with `redirect: 'manual'` it rejects with "Redirect was cancelled" instead of returning the 3xx,
 *   so a redirecting token endpoint looked like a transient failure. Here the request's `redirect`
 *   event becomes the 3xx response Node's fetch returns (status, statusText, headers, no body).
 * - it puts UTF-8-decoded header values into a Headers with no try/catch: a character above U+00FF
 *   throws inside Electron's event handler and the fetch never settles. Here each value is turned
 *   back into its bytes, one character per byte, as Node reads headers; a header Headers still
 *   refuses is dropped, never thrown.
 * - it sends and stores cookies and uses the HTTP cache. Here every request omits credentials
 *   (no cookies, no HTTP auth cache, no `login` prompt) and bypasses the cache.
 * - cancelling its body stream does not cancel Chromium's loader, whose socket then stays taken
 *   (six per host, then every request waits). Here cancelling the body, or the AbortSignal, aborts
 *   the request, and so does the garbage collection of a response whose body was never read.
 * - a reason phrase above U+00FF would make the Response constructor throw; Node's fetch lets it
 *   through, and so does this adapter.
 * - failures are `Error('net::ERR_...')`; here they reject as Node's do, a TypeError("fetch failed")
 *   whose cause carries the original (the core maps `net::ERR_*` names, see network-errors.ts).
 */
import { Buffer } from 'node:buffer'
import { STATUS_CODES } from 'node:http'
import type { FetchLike } from './deps'

/** The options this adapter passes to the request function. */
export interface ClientRequestOptions {
  readonly method: string
  readonly url: string
  readonly redirect: 'manual'
  readonly credentials: 'omit'
  readonly useSessionCookies: false
  readonly cache: 'no-store'
}

/** What the adapter uses of Electron's (or Node's) IncomingMessage (a Readable at runtime). */
export interface IncomingMessageLike {
  readonly statusCode: number
  readonly statusMessage: string
  readonly rawHeaders: string[]
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: 'end', listener: () => void): this
  on(event: 'aborted', listener: () => void): this
  on(event: 'error', listener: (error: Error) => void): this
  pause?: () => unknown
  resume?: () => unknown
}

/** What the adapter uses of Electron's (or Node's) ClientRequest. */
export interface ClientRequestLike {
  setHeader(name: string, value: string): void
  end(chunk?: Buffer): unknown
  abort(): void
  followRedirect(): void
  on(event: 'response', listener: (response: IncomingMessageLike) => void): this
  on(event: 'redirect', listener: (statusCode: number, method: string, redirectUrl: string, responseHeaders: Record<string, string[]>) => void): this
  on(event: 'error', listener: (error: Error) => void): this
}

export type RequestFunction = (options: ClientRequestOptions) => ClientRequestLike

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304])

/**
 * How the request function hands over header values: decoded as UTF-8 (Electron's net, so each
 * value goes back to its bytes first) or one character per byte already (Node's http).
 */
export type HeaderValueDecoding = 'utf8' | 'latin1'

/** Headers as Node's fetch builds them: each value's bytes read one character per byte. */
function nodeLikeHeaders(pairs: Iterable<readonly [string, string]>, decoding: HeaderValueDecoding): Headers {
  const headers = new Headers()
  for (const [name, value] of pairs) {
    try {
      headers.append(name, decoding === 'utf8' ? Buffer.from(value, 'utf8').toString('latin1') : value)
    } catch {
      // A name or value no fetch could carry; Node's parser would not have produced it either.
    }
  }
  return headers
}

function rawPairs(rawHeaders: ReadonlyArray<string>): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = []
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) pairs.push([rawHeaders[index]!, rawHeaders[index + 1]!])
  return pairs
}

/** The reason phrase Node's fetch gives: as sent (UTF-8), or the standard one where there is none (HTTP/2, a redirect). */
function reasonPhrase(statusMessage: string, status: number): string {
  return statusMessage || (STATUS_CODES[status] ?? '')
}

/**
 * A Response with Node's statusText. The Response constructor refuses characters above U+00FF in
 * it, which Node's fetch lets through (it decodes the status line as UTF-8): such a reason phrase
 * is set on the built response instead of thrown.
 */
function responseWith(body: ReadableStream<Uint8Array> | null, status: number, statusText: string, headers: Headers): Response {
  const acceptable = /^[\t\x20-\x7e\x80-\xff]*$/.test(statusText)
  const response = new Response(body, { status, statusText: acceptable ? statusText : (STATUS_CODES[status] ?? ''), headers })
  if (!acceptable) Object.defineProperty(response, 'statusText', { value: statusText })
  return response
}

/** What arrived from Chromium, before it becomes a Response. */
interface ResponseHead {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  readonly body: ReadableStream<Uint8Array> | null
  /** Cancels the request unless it is over. */
  readonly release: () => void
}

/**
 * Node's fetch cancels the body of a response that is garbage-collected unread (undici's
 * streamRegistry); so does this adapter, so that a forgotten body does not keep Chromium's socket.
 * Nothing the held `release` reaches refers to the Response itself.
 */
const unreadBodies = new FinalizationRegistry<() => void>((release) => release())

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause })
}

/** What the request function is given of a fetch call. */
interface OutgoingRequest {
  readonly method: string
  readonly url: string
  readonly headers: Headers
  readonly body: Buffer | undefined
  readonly redirect: NonNullable<RequestInit['redirect']>
  readonly signal: AbortSignal
}

const NEVER_ABORTED = new AbortController().signal
const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST'])

/**
 * The call as a Request would normalise it. The core's calls (a URL string; a form, a string or
 * no body; GET, HEAD or POST) are read directly: a first Request and its body stream cost about
 * 6 ms of CPU, a few percent of a command (bench/RESULTS.md). Anything else goes through Request,
 * which also throws the TypeError fetch would (a body on a GET, credentials in the URL).
 */
async function outgoing(input: string | URL | Request, init: RequestInit | undefined): Promise<OutgoingRequest> {
  const method = (init?.method ?? 'GET').toUpperCase()
  const body = init?.body
  const bodyOk = body == null || ((typeof body === 'string' || body instanceof URLSearchParams) && method === 'POST')
  const url = typeof input === 'string' && URL.canParse(input) ? new URL(input) : null
  if (!url || url.username || url.password || !SIMPLE_METHODS.has(method) || !bodyOk) {
    const req = new Request(input, init)
    const requestBody = req.body ? Buffer.from(await req.arrayBuffer()) : undefined
    return { method: req.method, url: req.url, headers: req.headers, body: requestBody, redirect: req.redirect, signal: req.signal }
  }
  const headers = new Headers(init?.headers)
  if (body != null && !headers.has('content-type')) {
    headers.set('content-type', typeof body === 'string' ? 'text/plain;charset=UTF-8' : 'application/x-www-form-urlencoded;charset=UTF-8')
  }
  return {
    method,
    url: url.href,
    headers,
    body: body == null ? undefined : Buffer.from(body.toString(), 'utf8'),
    redirect: init?.redirect ?? 'follow',
    signal: init?.signal ?? NEVER_ABORTED,
  }
}

/** Wraps a `net.request`-shaped request function into the core's fetch. */
export function createRequestFetch(request: RequestFunction, headerValues: HeaderValueDecoding = 'utf8'): FetchLike {
  return async (input, init) => {
    const req = await outgoing(input, init)
    const { signal, body } = req
    if (signal.aborted) throw signal.reason

    const head = await new Promise<ResponseHead>((resolve, reject) => {
      let client: ClientRequestLike
      try {
        client = request({ method: req.method, url: req.url, redirect: 'manual', credentials: 'omit', useSessionCookies: false, cache: 'no-store' })
        for (const [name, value] of req.headers) client.setHeader(name, value)
      } catch (error) {
        // A URL or header the request function refuses (Node's http: an unknown scheme) fails as Node's fetch does.
        reject(fetchFailed(error))
        return
      }
      let state: 'waiting' | 'streaming' | 'done' = 'waiting'
      let bodyController: ReadableStreamDefaultController<Uint8Array> | null = null

      const finish = (): void => {
        state = 'done'
        signal.removeEventListener('abort', onAbort)
      }
      /** Cancels Chromium's loader, so that its socket goes back to the pool. */
      const release = (): void => {
        if (state === 'done') return
        finish()
        client.abort()
      }
      const failBody = (error: unknown): void => {
        try {
          bodyController?.error(error)
        } catch {
          // Already closed or errored.
        }
      }
      const onAbort = (): void => {
        const streaming = state === 'streaming'
        release()
        if (streaming) failBody(signal.reason)
        else reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })

      /** Electron calls these from its loader, where a throw is a crash dialog and a request that never settles. */
      const guarded =
        <A extends unknown[]>(handler: (...args: A) => void) =>
        (...args: A): void => {
          try {
            handler(...args)
          } catch (error) {
            const streaming = state === 'streaming'
            release()
            if (streaming) failBody(fetchFailed(error))
            else reject(fetchFailed(error))
          }
        }

      client.on(
        'redirect',
        guarded((statusCode: number, _method: string, redirectUrl: string, responseHeaders: Record<string, string[]>) => {
          if (req.redirect === 'follow') return client.followRedirect()
          const pairs = Object.entries(responseHeaders).flatMap(([name, values]) => values.map((value) => [name, value] as const))
          const headers = nodeLikeHeaders(pairs, headerValues)
          if (!headers.has('location')) headers.set('location', redirectUrl)
          release()
          if (req.redirect === 'error') return reject(fetchFailed(new Error('unexpected redirect')))
          resolve({ status: statusCode, statusText: reasonPhrase('', statusCode), headers, body: null, release })
        }),
      )

      client.on('error', (error) => {
        if (state === 'waiting') {
          finish()
          reject(fetchFailed(error))
        } else if (state === 'streaming') {
          finish()
          failBody(new TypeError('terminated', { cause: error }))
        }
      })

      client.on(
        'response',
        guarded((message: IncomingMessageLike) => {
          if (state !== 'waiting') return
          const status = message.statusCode
          const statusText = reasonPhrase(message.statusMessage, status)
          const headers = nodeLikeHeaders(rawPairs(message.rawHeaders), headerValues)
          if (NULL_BODY_STATUSES.has(status) || req.method === 'HEAD') {
            state = 'streaming'
            message.on('end', finish)
            message.resume?.()
            return resolve({ status, statusText, headers, body: null, release })
          }
          const stream = new ReadableStream<Uint8Array>({
            start(controller) {
              bodyController = controller
              message.on('data', (chunk) => {
                if (state !== 'streaming') return
                controller.enqueue(new Uint8Array(chunk))
                if ((controller.desiredSize ?? 0) <= 0) message.pause?.()
              })
              message.on('end', () => {
                if (state !== 'streaming') return
                finish()
                controller.close()
              })
              const cut = (error: Error): void => {
                if (state !== 'streaming') return
                finish()
                failBody(new TypeError('terminated', { cause: error }))
              }
              message.on('error', cut)
              message.on('aborted', () => cut(new Error('net::ERR_CONNECTION_CLOSED')))
            },
            pull() {
              message.resume?.()
            },
            cancel() {
              // A body nobody reads must not keep its socket: Chromium's loader is cancelled here.
              release()
            },
          })
          state = 'streaming'
          resolve({ status, statusText, headers, body: stream, release })
        }),
      )

      client.end(body)
    })

    let response: Response
    try {
      response = responseWith(head.body, head.status, head.statusText, head.headers)
    } catch (error) {
      head.release()
      throw fetchFailed(error)
    }
    if (head.body) unreadBodies.register(response, head.release)
    return response
  }
}
