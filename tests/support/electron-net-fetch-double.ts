/**
 * A test double of Electron 45's `net` module (`net.request` and `net.fetch` of the main process),
 * for machines without the Electron binary. It talks to real servers on 127.0.0.1 over node:http,
 * but behaves the way Electron does, not the way Node's fetch does (facts and sources:
 * ../shared/ELECTRON-NOTES.md; Electron's lib/common/api/net-client-request.ts and
 * lib/browser/api/net-fetch.ts):
 *
 * - redirects: `redirect: 'manual'` emits `redirect` and, unless `followRedirect()` is called
 *   during it, fails with Error('Redirect was cancelled'); `'error'` fails with "Attempted to
 *   redirect, but redirect policy was 'error'"; `'follow'` (the default) follows.
 * - network failures are Error('net::ERR_...') with no `code` and no `cause`.
 * - response header bytes are decoded as UTF-8 (Node decodes them as Latin-1); `net.fetch` puts
 *   them into a WHATWG Headers with no try/catch, so a character above U+00FF throws inside the
 *   loader's event handler (recorded in `uncaughtErrors`, Electron's "A JavaScript error occurred
 *   in the main process") and that fetch never settles.
 * - a session cookie jar and HTTP cache: `net.fetch` includes credentials and uses the cache by
 *   default; `net.request` uses cookies only with `credentials: 'include'` or `useSessionCookies`.
 * - a per-host socket limit (Chromium's 6). A response body larger than Chromium's data pipe
 *   (512 KiB here) that is neither read to its end nor aborted keeps its socket; cancelling
 *   `net.fetch`'s body stream does not release it, aborting the request (or net.fetch's
 *   AbortSignal) does.
 * - `httpVersion: '2'` reports responses the way Chromium does for HTTP/2: an empty statusMessage.
 * - not modelled: the `login` event (with no listener Electron answers the challenge with no
 *   credentials and the 401 is delivered, which is what the double does); proxies; webRequest.
 * - no DNS: only IP literals and `localhost` resolve (tests may contact 127.0.0.1 only); any
 *   other name fails with net::ERR_NAME_NOT_RESOLVED, as an unknown name does in Chromium.
 */
import { Buffer } from 'node:buffer'
import { EventEmitter } from 'node:events'
import { Agent as HttpAgent, request as httpRequest, type ClientRequest as NodeClientRequest, type IncomingMessage as NodeIncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'

export const CHROMIUM_SOCKETS_PER_HOST = 6

type RedirectPolicy = 'follow' | 'error' | 'manual'
type CacheMode = 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached'

/** The options of Electron's `net.request` that the double understands. */
export interface DoubleRequestOptions {
  readonly method?: string
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly redirect?: RedirectPolicy
  readonly credentials?: 'include' | 'omit' | 'same-origin'
  readonly useSessionCookies?: boolean
  readonly cache?: CacheMode
  readonly origin?: string
}

export interface ElectronNetDoubleOptions {
  /** Chromium's limit of connections per host (6). */
  readonly maxSocketsPerHost?: number
  /** '2': answer as over HTTP/2 (Chromium gives an empty statusMessage there). */
  readonly httpVersion?: '1.1' | '2'
  /** Certificates the "OS store" trusts besides Node's bundle (PEM). */
  readonly ca?: string | Buffer
}

export interface ElectronNetDouble {
  request(options: DoubleRequestOptions | string): DoubleClientRequest
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Exceptions thrown inside Electron's loader callbacks: a crash dialog in the real app. */
  readonly uncaughtErrors: Error[]
  /** The session's cookie jar: host -> cookie name -> value. */
  readonly cookies: ReadonlyMap<string, ReadonlyMap<string, string>>
  /** Requests that went to the network (not answered from the HTTP cache). */
  readonly networkRequests: number
  close(): void
}

interface CacheEntry {
  readonly statusCode: number
  readonly statusMessage: string
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: Buffer
  readonly freshUntil: number
  readonly vary: ReadonlyArray<readonly [string, string | undefined]> | null
}

interface Session {
  readonly agents: { readonly http: HttpAgent; readonly https: HttpsAgent }
  readonly httpVersion: '1.1' | '2'
  readonly cookies: Map<string, Map<string, string>>
  readonly cache: Map<string, CacheEntry>
  readonly uncaughtErrors: Error[]
  countNetworkRequest(): void
}

const DISCARDABLE_DUPLICATES = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
])
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308])
const MAX_REDIRECTS = 20
/** About the size of the data pipe Chromium's network service fills before the reader must drain it. */
const DATA_PIPE_BYTES = 512 * 1024

/** Node reads header bytes as Latin-1; Chromium hands them to JavaScript as UTF-8. */
function asUtf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8')
}

/** Chromium's name for what went wrong, from Node's error. */
function chromiumErrorName(error: unknown, stage: 'connect' | 'body', framing: 'length' | 'chunked' | 'none'): string {
  const code = (error as { code?: unknown } | null)?.code
  const message = (error as { message?: unknown } | null)?.message
  switch (code) {
    case 'ECONNREFUSED':
      return 'ERR_CONNECTION_REFUSED'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'ERR_NAME_NOT_RESOLVED'
    case 'ETIMEDOUT':
      return 'ERR_CONNECTION_TIMED_OUT'
    case 'EHOSTUNREACH':
      return 'ERR_ADDRESS_UNREACHABLE'
    case 'ENETUNREACH':
      return 'ERR_INTERNET_DISCONNECTED'
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'ERR_CERT_AUTHORITY_INVALID'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'ERR_CERT_COMMON_NAME_INVALID'
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'ERR_CERT_DATE_INVALID'
    case 'CERT_REVOKED':
      return 'ERR_CERT_REVOKED'
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return 'ERR_SSL_PROTOCOL_ERROR'
  if (code === 'ECONNRESET' && stage === 'connect') return message === 'socket hang up' ? 'ERR_EMPTY_RESPONSE' : 'ERR_CONNECTION_RESET'
  if (stage === 'body') {
    if (code === 'ECONNRESET' && message !== 'aborted') return 'ERR_CONNECTION_RESET'
    if (framing === 'length') return 'ERR_CONTENT_LENGTH_MISMATCH'
    if (framing === 'chunked') return 'ERR_INCOMPLETE_CHUNKED_ENCODING'
    return 'ERR_CONNECTION_CLOSED'
  }
  return 'ERR_FAILED'
}

function netError(name: string): Error {
  return new Error(`net::${name}`)
}

function pairsOf(rawHeaders: ReadonlyArray<string>): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = []
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) pairs.push([rawHeaders[index]!, rawHeaders[index + 1]!])
  return pairs
}

function headerValue(rawHeaders: ReadonlyArray<string>, name: string): string | undefined {
  return pairsOf(rawHeaders).find(([key]) => key.toLowerCase() === name)?.[1]
}

/** Freshness lifetime in ms from Cache-Control max-age or Expires; 0 when not cacheable. */
function freshnessMs(rawHeaders: ReadonlyArray<string>, now: number): number {
  const cacheControl = (headerValue(rawHeaders, 'cache-control') ?? '').toLowerCase()
  if (/\bno-store\b/.test(cacheControl) || /\bno-cache\b/.test(cacheControl)) return 0
  const maxAge = /\bmax-age=(\d+)/.exec(cacheControl)
  if (maxAge?.[1]) return Number(maxAge[1]) * 1000
  const expires = headerValue(rawHeaders, 'expires')
  const at = expires ? Date.parse(expires) : Number.NaN
  return Number.isFinite(at) ? Math.max(0, at - now) : 0
}

/** Electron's IncomingMessage: a Readable with Node-style headers, pulled from the loader. */
export class DoubleIncomingMessage extends Readable {
  readonly statusCode: number
  readonly statusMessage: string
  readonly rawHeaders: string[]
  readonly httpVersion: string
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  #resumeLoader: (() => void) | null = null

  constructor(head: { statusCode: number; statusMessage: string; rawHeaders: ReadonlyArray<string>; httpVersion: '1.1' | '2' }) {
    super()
    this.statusCode = head.statusCode
    this.statusMessage = head.httpVersion === '2' ? '' : head.statusMessage
    this.rawHeaders = [...head.rawHeaders]
    this.httpVersion = head.httpVersion === '2' ? '2.0' : '1.1'
    this.httpVersionMajor = head.httpVersion === '2' ? 2 : 1
    this.httpVersionMinor = head.httpVersion === '2' ? 0 : 1
  }

  get headers(): Record<string, string | string[]> {
    const grouped = new Map<string, string[]>()
    for (const [name, value] of pairsOf(this.rawHeaders)) {
      const key = name.toLowerCase()
      grouped.set(key, [...(grouped.get(key) ?? []), value])
    }
    const headers: Record<string, string | string[]> = {}
    for (const [key, values] of grouped) {
      if (key === 'set-cookie') headers[key] = values
      else headers[key] = DISCARDABLE_DUPLICATES.has(key) ? values[0]! : values.join(', ')
    }
    return headers
  }

  /** Called by the loader: where the next read resumes the network. */
  attachLoader(resume: () => void): void {
    this.#resumeLoader = resume
  }

  override _read(): void {
    this.#resumeLoader?.()
  }

  // Destroying the message (as cancelling net.fetch's body does) leaves the URL loader running:
  // nobody pulls any more, so its socket stays taken. Only ClientRequest.abort() cancels it.
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    callback(error)
  }
}

/** Electron's ClientRequest: headers, a buffered body, end() starts it, abort() cancels it. */
export class DoubleClientRequest extends EventEmitter {
  readonly #session: Session
  readonly #redirectPolicy: RedirectPolicy
  readonly #credentials: 'include' | 'omit' | 'same-origin' | undefined
  readonly #useSessionCookies: boolean
  readonly #cache: CacheMode
  readonly #headers = new Map<string, { name: string; value: string }>()
  readonly #chunks: Buffer[] = []
  #method: string
  #url: URL
  #started = false
  #aborted = false
  #finished = false
  #redirects = 0
  #followRedirect: (() => void) | null = null
  #nodeRequest: NodeClientRequest | null = null
  #nodeResponse: NodeIncomingMessage | null = null
  #response: DoubleIncomingMessage | null = null

  constructor(session: Session, options: DoubleRequestOptions | string) {
    super()
    const parsed = typeof options === 'string' ? { url: options } : options
    this.#session = session
    this.#method = (parsed.method ?? 'GET').toUpperCase()
    this.#url = new URL(parsed.url)
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') throw new Error('ClientRequest only supports http: and https: protocols')
    const redirect = parsed.redirect ?? 'follow'
    if (!['follow', 'error', 'manual'].includes(redirect)) throw new Error('redirect mode should be one of follow, error or manual')
    if (parsed.credentials === 'same-origin' && !parsed.origin) throw new Error('credentials: same-origin requires origin to be set')
    this.#redirectPolicy = redirect
    this.#credentials = parsed.credentials
    this.#useSessionCookies = parsed.useSessionCookies ?? false
    this.#cache = parsed.cache ?? 'default'
    for (const [name, value] of Object.entries(parsed.headers ?? {})) this.setHeader(name, value)
  }

  setHeader(name: string, value: string): void {
    if (this.#started) throw new Error("Can't set headers after they are sent")
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`Invalid header name: '${name}'`)
    if (/[\0\r\n]/.test(String(value))) throw new Error(`Invalid value for header '${name}': '${value}'`)
    this.#headers.set(name.toLowerCase(), { name, value: String(value) })
  }

  getHeader(name: string): string | undefined {
    return this.#headers.get(name.toLowerCase())?.value
  }

  write(chunk: string | Buffer): void {
    if (this.#started) throw new Error('The request has already started')
    this.#chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }

  end(chunk?: string | Buffer): this {
    if (chunk !== undefined) this.write(chunk)
    if (this.#started) return this
    this.#started = true
    queueMicrotask(() => {
      this.emit('finish')
      this.#startHop(this.#chunks.length > 0 ? Buffer.concat(this.#chunks) : null)
    })
    return this
  }

  followRedirect(): void {
    if (!this.#followRedirect) throw new Error('followRedirect() called, but was not waiting for a redirect')
    this.#followRedirect()
  }

  abort(): void {
    if (!this.#aborted) process.nextTick(() => this.emit('abort'))
    this.#aborted = true
    this.#cancelLoader()
    this.#response?.destroy()
    this.#close()
  }

  /** An event from Chromium's loader: a throwing listener does not unwind into the network stack. */
  #fromLoader(event: string, ...args: unknown[]): boolean {
    try {
      return this.emit(event, ...args)
    } catch (error) {
      this.#session.uncaughtErrors.push(error instanceof Error ? error : new Error(String(error)))
      return true
    }
  }

  #die(error: Error): void {
    if (this.#aborted || this.#finished) return
    this.#finished = true
    this.#cancelLoader()
    this.#response?.destroy(error)
    this.#fromLoader('error', error)
    this.#close()
  }

  #close(): void {
    process.nextTick(() => this.emit('close'))
  }

  #cancelLoader(): void {
    this.#nodeRequest?.destroy()
    this.#nodeResponse?.destroy()
  }

  #cookiesAllowed(): boolean {
    if (this.#credentials === 'omit') return false
    if (this.#credentials === 'include' || this.#credentials === 'same-origin') return true
    return this.#useSessionCookies
  }

  #requestHeaders(body: Buffer | null): Record<string, string> {
    const headers: Record<string, string> = {}
    for (const { name, value } of this.#headers.values()) headers[name] = value
    if (body) headers['content-length'] = String(body.byteLength)
    const jar = this.#session.cookies.get(this.#url.host)
    if (this.#cookiesAllowed() && jar && jar.size > 0) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    return headers
  }

  #storeCookies(rawHeaders: ReadonlyArray<string>): void {
    if (!this.#cookiesAllowed()) return
    for (const [name, value] of pairsOf(rawHeaders)) {
      if (name.toLowerCase() !== 'set-cookie') continue
      const [pair = '', ...attributes] = value.split(';')
      const separator = pair.indexOf('=')
      if (separator <= 0) continue
      const cookieName = pair.slice(0, separator).trim()
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(attribute))
      const jar = this.#session.cookies.get(this.#url.host) ?? new Map<string, string>()
      if (expired) jar.delete(cookieName)
      else jar.set(cookieName, pair.slice(separator + 1).trim())
      this.#session.cookies.set(this.#url.host, jar)
    }
  }

  #cacheKey(): string {
    return this.#url.href
  }

  #cachedEntry(): CacheEntry | null {
    if (this.#method !== 'GET' || ['no-store', 'reload', 'no-cache'].includes(this.#cache)) return null
    const entry = this.#session.cache.get(this.#cacheKey())
    if (!entry) return null
    if (entry.vary === null) return null
    if (entry.vary.some(([name, value]) => this.getHeader(name) !== value)) return null
    if (this.#cache === 'default' && entry.freshUntil <= Date.now()) return null
    return entry
  }

  #startHop(body: Buffer | null, retried = false): void {
    if (this.#aborted) return
    const cached = this.#cachedEntry()
    if (cached) return this.#answerFromCache(cached)
    if (this.#cache === 'only-if-cached') return this.#die(netError('ERR_CACHE_MISS'))
    const hostname = this.#url.hostname.replace(/^\[|\]$/g, '')
    if (isIP(hostname) === 0 && hostname !== 'localhost') return void setImmediate(() => this.#die(netError('ERR_NAME_NOT_RESOLVED')))
    this.#session.countNetworkRequest()
    const secure = this.#url.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    const nodeRequest = send(this.#url, {
      method: this.#method,
      headers: this.#requestHeaders(body),
      agent: secure ? this.#session.agents.https : this.#session.agents.http,
    })
    this.#nodeRequest = nodeRequest
    let socketReset = false
    nodeRequest.on('socket', (socket) => socket.once('error', (error: NodeJS.ErrnoException) => (socketReset = error.code === 'ECONNRESET')))
    nodeRequest.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#nodeResponse || this.#aborted) return
      // Chromium sends the request again when a kept-alive socket turns out to be closed.
      if (nodeRequest.reusedSocket && !retried && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) return this.#startHop(body, true)
      this.#die(netError(chromiumErrorName(error, 'connect', 'none')))
    })
    nodeRequest.on('response', (response) => {
      this.#nodeResponse = response
      const rawHeaders = response.rawHeaders.map(asUtf8)
      const statusMessage = asUtf8(response.statusMessage ?? '')
      this.#storeCookies(rawHeaders)
      const location = headerValue(rawHeaders, 'location')
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && location !== undefined) {
        response.resume()
        return this.#redirect(response.statusCode ?? 0, location, rawHeaders, body)
      }
      const framing = headerValue(rawHeaders, 'content-length') !== undefined ? 'length' : /chunked/i.test(headerValue(rawHeaders, 'transfer-encoding') ?? '') ? 'chunked' : 'none'
      const message = new DoubleIncomingMessage({ statusCode: response.statusCode ?? 0, statusMessage, rawHeaders, httpVersion: this.#session.httpVersion })
      this.#response = message
      const forCache: Buffer[] | null = this.#method === 'GET' && this.#cache !== 'no-store' && response.statusCode === 200 ? [] : null
      // Chromium reads the body off the socket into a data pipe of limited size, whoever reads it
      // in JavaScript: a small body completes (socket free, cache written) even if nobody reads it;
      // a larger one waits for the reader, holding its socket.
      const pipe: Buffer[] = []
      let pipeBytes = 0
      let networkDone = false
      let wanted = false
      const deliver = (): void => {
        while (wanted && pipe.length > 0) {
          const chunk = pipe.shift()!
          pipeBytes -= chunk.byteLength
          wanted = message.push(chunk)
        }
        if (wanted && networkDone && pipe.length === 0) {
          wanted = false
          message.push(null)
        }
        if (!networkDone && pipeBytes < DATA_PIPE_BYTES) response.resume()
      }
      message.attachLoader(() => {
        wanted = true
        deliver()
      })
      response.on('data', (chunk: Buffer) => {
        forCache?.push(chunk)
        pipe.push(chunk)
        pipeBytes += chunk.byteLength
        if (pipeBytes >= DATA_PIPE_BYTES) response.pause()
        deliver()
      })
      response.on('end', () => {
        networkDone = true
        if (forCache) this.#storeInCache(message, Buffer.concat(forCache))
        this.#finished = true
        deliver()
        this.#close()
      })
      response.on('aborted', () => this.#die(netError(chromiumErrorName({ code: socketReset ? 'ECONNRESET' : undefined }, 'body', framing))))
      response.on('error', (error) => this.#die(netError(chromiumErrorName(socketReset ? { code: 'ECONNRESET' } : error, 'body', framing))))
      this.#fromLoader('response', message)
    })
    nodeRequest.end(body ?? undefined)
  }

  #storeInCache(message: DoubleIncomingMessage, body: Buffer): void {
    const lifetime = freshnessMs(message.rawHeaders, Date.now())
    if (lifetime <= 0) return
    const varyHeader = headerValue(message.rawHeaders, 'vary')
    const names = varyHeader ? varyHeader.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean) : []
    const vary = names.includes('*') ? null : names.map((name) => [name, this.getHeader(name)] as const)
    this.#session.cache.set(this.#cacheKey(), {
      statusCode: message.statusCode,
      statusMessage: message.statusMessage,
      rawHeaders: message.rawHeaders,
      body,
      freshUntil: Date.now() + lifetime,
      vary,
    })
  }

  #answerFromCache(entry: CacheEntry): void {
    setImmediate(() => {
      if (this.#aborted) return
      const message = new DoubleIncomingMessage({ ...entry, httpVersion: this.#session.httpVersion })
      this.#response = message
      let sent = false
      message.attachLoader(() => {
        if (sent) return
        sent = true
        message.push(entry.body)
        message.push(null)
        this.#finished = true
        this.#close()
      })
      this.#fromLoader('response', message)
    })
  }

  #redirect(statusCode: number, location: string, rawHeaders: ReadonlyArray<string>, body: Buffer | null): void {
    if (this.#aborted) return
    let target: URL
    try {
      target = new URL(location, this.#url)
    } catch {
      return this.#die(netError('ERR_INVALID_REDIRECT'))
    }
    const newMethod = statusCode === 303 && this.#method !== 'HEAD' ? 'GET' : (statusCode === 301 || statusCode === 302) && this.#method === 'POST' ? 'GET' : this.#method
    const headers: Record<string, string[]> = {}
    for (const [name, value] of pairsOf(rawHeaders)) (headers[name.toLowerCase()] ??= []).push(value)
    const follow = (): void => {
      this.#redirects += 1
      if (this.#redirects > MAX_REDIRECTS) return this.#die(netError('ERR_TOO_MANY_REDIRECTS'))
      const methodChanged = newMethod !== this.#method
      this.#method = newMethod
      this.#url = target
      this.#nodeRequest = null
      this.#nodeResponse = null
      if (methodChanged) this.#headers.delete('content-type')
      this.#startHop(methodChanged ? null : body)
    }
    if (this.#redirectPolicy === 'error') return this.#die(new Error("Attempted to redirect, but redirect policy was 'error'"))
    if (this.#redirectPolicy === 'follow') {
      this.#followRedirect = () => {}
      try {
        this.#fromLoader('redirect', statusCode, newMethod, target.href, headers)
      } finally {
        this.#followRedirect = null
      }
      return follow()
    }
    let followed = false
    this.#followRedirect = () => {
      followed = true
    }
    try {
      this.#fromLoader('redirect', statusCode, newMethod, target.href, headers)
    } finally {
      this.#followRedirect = null
    }
    if (followed) follow()
    else if (!this.#aborted) this.#die(new Error('Redirect was cancelled'))
  }
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304])

/** net.fetch, built over the double's net.request the way Electron builds it over ClientRequest. */
function fetchOver(request: (options: DoubleRequestOptions) => DoubleClientRequest, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let req: Request
    try {
      req = new Request(input, init)
    } catch (error) {
      return reject(error)
    }
    const abortReason = (): unknown => req.signal.reason ?? new DOMException('The operation was aborted.', 'AbortError')
    if (req.signal.aborted) return reject(abortReason())
    const origin = req.headers.get('origin') ?? undefined
    // Without an origin, 'same-origin' (Request's default) becomes 'include', as in Electron.
    const credentials = req.credentials === 'same-origin' && !origin ? 'include' : req.credentials
    let locallyAborted = false
    const client = request({ method: req.method, url: req.url, origin, credentials, cache: req.cache, redirect: req.redirect })
    req.signal.addEventListener(
      'abort',
      () => {
        locallyAborted = true
        reject(abortReason())
        client.abort()
      },
      { once: true },
    )
    for (const [name, value] of req.headers) client.setHeader(name, value)
    client.on('response', (message: DoubleIncomingMessage) => {
      if (locallyAborted) return
      // No try/catch, as in Electron: a value above U+00FF throws here and nothing settles.
      const headers = new Headers()
      for (const [name, value] of Object.entries(message.headers)) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
      const body = NULL_BODY_STATUSES.has(message.statusCode) || req.method === 'HEAD' ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>)
      resolve(new Response(body, { headers, status: message.statusCode, statusText: message.statusMessage }))
    })
    client.on('error', (error: Error) => reject(error))
    if (req.body) {
      req.arrayBuffer().then(
        (bytes) => client.end(Buffer.from(bytes)),
        (error: unknown) => reject(error),
      )
    } else client.end()
  })
}

export function createElectronNetDouble(options: ElectronNetDoubleOptions = {}): ElectronNetDouble {
  const maxSockets = options.maxSocketsPerHost ?? CHROMIUM_SOCKETS_PER_HOST
  let networkRequests = 0
  const session: Session = {
    agents: {
      http: new HttpAgent({ keepAlive: true, maxSockets }),
      https: new HttpsAgent({ keepAlive: true, maxSockets, ...(options.ca ? { ca: options.ca } : {}) }),
    },
    httpVersion: options.httpVersion ?? '1.1',
    cookies: new Map(),
    cache: new Map(),
    uncaughtErrors: [],
    countNetworkRequest: () => {
      networkRequests += 1
    },
  }
  const request = (requestOptions: DoubleRequestOptions | string): DoubleClientRequest => new DoubleClientRequest(session, requestOptions)
  return {
    request,
    fetch: (input, init) => fetchOver(request, input, init),
    uncaughtErrors: session.uncaughtErrors,
    cookies: session.cookies,
    get networkRequests() {
      return networkRequests
    },
    close: () => {
      session.agents.http.destroy()
      session.agents.https.destroy()
    },
  }
}
