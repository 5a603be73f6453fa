/**
 * One HTTP exchange under our rules: an overall deadline that also covers a body trickling in
 * slowly, the caller's AbortSignal, redirects never followed, and a response body read only up to
 * a cap. Failures are thrown as `AppFailure` carrying the AppError, so that they pass
 * unchanged through oauth4webapi (which calls `send` as its custom fetch) to our catch.
 */
import { AppFailure, appError, type AppError } from '../../../shared/errors'
import type { FetchLike } from '../deps'
import { cancelledError, capitalise, classifyNetworkError, timeoutError, type NetworkErrorContext } from './network-errors'

export const DEFAULT_TIMEOUT_MS = 15_000
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

export interface ExchangeOptions extends NetworkErrorContext {
  readonly fetch: FetchLike
  readonly now: () => number
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
}

/** What came back, fully read (within the cap). */
export interface ReceivedResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  readonly bytes: Uint8Array<ArrayBuffer>
}

export class BoundedExchange {
  readonly #options: ExchangeOptions
  readonly #controller = new AbortController()
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #timer: ReturnType<typeof setTimeout>
  readonly #onCallerAbort = (): void => this.#abort('cancelled')
  #outcome: 'timeout' | 'cancelled' | null = null
  /** `now()` right before the request went out; expiry counts from here (RFC 6749 5.1 gives a duration). */
  sentAt: number | null = null

  constructor(options: ExchangeOptions) {
    this.#options = options
    this.#timeoutMs = positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS)
    this.#maxBytes = positiveOr(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES)
    this.#timer = setTimeout(() => this.#abort('timeout'), this.#timeoutMs)
    this.#timer.unref?.()
    if (options.signal?.aborted) this.#abort('cancelled')
    else options.signal?.addEventListener('abort', this.#onCallerAbort, { once: true })
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  dispose(): void {
    clearTimeout(this.#timer)
    this.#options.signal?.removeEventListener('abort', this.#onCallerAbort)
  }

  /** Sends the request and returns the response with its body unread. Never follows a redirect. */
  async open(url: string, init: RequestInit): Promise<Response> {
    if (this.#outcome) throw new AppFailure(this.failureOf(undefined))
    this.sentAt = this.#options.now()
    try {
      return await this.#options.fetch(url, { ...init, redirect: 'manual', signal: this.#controller.signal })
    } catch (error) {
      throw new AppFailure(this.failureOf(error))
    }
  }

  /** Reads the body up to the cap; a larger body is abandoned, not buffered. */
  async read(response: Response): Promise<ReceivedResponse> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > this.#maxBytes) {
      await discard(response)
      throw new AppFailure(this.#tooLarge())
    }
    const chunks: Uint8Array[] = []
    let total = 0
    if (response.body) {
      const reader = response.body.getReader()
      // Not every fetch ties the body stream to the signal; cancelling the reader ends a pending read.
      const stop = (): void => void reader.cancel().catch(() => undefined)
      this.#controller.signal.addEventListener('abort', stop, { once: true })
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (this.#outcome) throw new AppFailure(this.failureOf(undefined))
          if (done) break
          total += value.byteLength
          if (total > this.#maxBytes) {
            await reader.cancel().catch(() => undefined)
            throw new AppFailure(this.#tooLarge())
          }
          chunks.push(value)
        }
      } catch (error) {
        throw error instanceof AppFailure ? error : new AppFailure(this.failureOf(error))
      } finally {
        this.#controller.signal.removeEventListener('abort', stop)
      }
    }
    const bytes = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
    return { status: response.status, statusText: response.statusText, headers: response.headers, bytes }
  }

  /**
   * oauth4webapi's custom fetch for an endpoint whose answer needs no screening (revocation,
   * introspection): a redirect is refused, the body is read within the cap.
   */
  readonly fetchRefusingRedirects = async (input: string, init: Pick<RequestInit, 'method' | 'headers' | 'body'>): Promise<Response> => {
    const opened = await this.open(input, { method: init.method, headers: init.headers, body: init.body })
    if (opened.status >= 300 && opened.status < 400) {
      await discard(opened)
      const { target, host } = this.#options
      throw new AppFailure(appError('network', 'redirect', `${capitalise(target)} (${host}) answered with a redirect (HTTP ${opened.status}); it was not followed.`))
    }
    const received = await this.read(opened)
    return new Response(received.status === 204 || received.status === 205 ? null : received.bytes, { status: received.status, headers: received.headers })
  }

  /** The AppError for anything thrown while the exchange ran; our deadline and the caller's cancel win. */
  failureOf(error: unknown): AppError {
    if (error instanceof AppFailure) return error.error
    if (this.#outcome === 'cancelled') return cancelledError()
    if (this.#outcome === 'timeout') return timeoutError(this.#options, this.#timeoutMs)
    return classifyNetworkError(error, this.#options)
  }

  #abort(outcome: 'timeout' | 'cancelled'): void {
    if (this.#outcome) return
    this.#outcome = outcome
    this.#controller.abort(new Error(outcome))
  }

  #tooLarge(): AppError {
    return appError(
      'invalid-response',
      'too-large',
      `The answer from ${this.#options.target} (${this.#options.host}) is larger than ${formatBytes(this.#maxBytes)}, so it was not read.`,
      { hint: 'Check the URL: a token endpoint answers with a small JSON document.' },
    )
  }
}

/** Lets the connection go without reading what is left of the body. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined)
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} bytes`
}
