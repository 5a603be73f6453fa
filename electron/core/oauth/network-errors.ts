/**
 * Turns a failed fetch into an AppError. Node's fetch (undici) throws `TypeError: fetch failed`
 * with the system error one or two `cause`s down; Electron's net.fetch throws Chromium's
 * `net::ERR_*` names in the message. Both shapes are recognised, anywhere in the cause chain.
 */
import { appError, type AppError } from '../../../shared/errors'

export type NetworkCode = 'dns' | 'refused' | 'timeout' | 'tls' | 'redirect' | 'reset' | 'unreachable' | 'failed'

const NODE_CODES: ReadonlyArray<readonly [NetworkCode, ReadonlyArray<string>]> = [
  ['dns', ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']],
  ['refused', ['ECONNREFUSED']],
  ['timeout', ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']],
  ['reset', ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']],
  ['unreachable', ['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']],
]

// OpenSSL verification results as Node reports them in `err.code`.
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const ELECTRON_CODES: ReadonlyArray<readonly [NetworkCode, RegExp]> = [
  ['dns', /^ERR_NAME_(NOT_RESOLVED|RESOLUTION_FAILED)$/],
  ['refused', /^ERR_CONNECTION_REFUSED$/],
  ['timeout', /^ERR_(CONNECTION_)?TIMED_OUT$/],
  ['tls', /^ERR_(CERT_|SSL_|BAD_SSL_)/],
  ['reset', /^ERR_(CONNECTION_RESET|CONNECTION_CLOSED|CONNECTION_ABORTED|EMPTY_RESPONSE|INCOMPLETE_CHUNKED_ENCODING|CONTENT_LENGTH_MISMATCH)$/],
  ['redirect', /^ERR_(TOO_MANY_REDIRECTS|UNSAFE_REDIRECT)$/],
  ['unreachable', /^ERR_(INTERNET_DISCONNECTED|ADDRESS_UNREACHABLE|NETWORK_CHANGED|NETWORK_ACCESS_DENIED|PROXY_CONNECTION_FAILED)$/],
]

export interface NetworkErrorContext {
  /** Host of the URL, named in the message (never the path or query, which may carry secrets). */
  readonly host: string
  /** What the request was for, e.g. "the token endpoint". */
  readonly target: string
}

/** Every `code` and `net::ERR_*` name found along the cause chain (bounded: causes can be cyclic). */
function collectCodes(error: unknown): { codes: string[]; chromium: string[] } {
  const codes: string[] = []
  const chromium: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth += 1) {
    const record = current as { code?: unknown; message?: unknown; cause?: unknown }
    if (typeof record.code === 'string') codes.push(record.code)
    if (typeof record.message === 'string') {
      for (const match of record.message.matchAll(/net::(ERR_[A-Z0-9_]+)/g)) if (match[1]) chromium.push(match[1])
    }
    current = record.cause
  }
  return { codes, chromium }
}

export function networkCodeOf(error: unknown): { code: NetworkCode; detail: string | null } {
  const { codes, chromium } = collectCodes(error)
  for (const code of codes) {
    if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { code: 'tls', detail: code }
    for (const [kind, list] of NODE_CODES) if (list.includes(code)) return { code: kind, detail: code }
  }
  for (const name of chromium) {
    for (const [kind, pattern] of ELECTRON_CODES) if (pattern.test(name)) return { code: kind, detail: `net::${name}` }
  }
  const first = codes[0] ?? (chromium[0] ? `net::${chromium[0]}` : null)
  return { code: 'failed', detail: first }
}

function tlsWords(detail: string | null): string {
  if (!detail) return 'its certificate could not be verified'
  if (/SELF_SIGNED|AUTHORITY_INVALID|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF)|INVALID_CA|UNTRUSTED/.test(detail))
    return 'its certificate is not issued by a trusted authority (self-signed or unknown issuer)'
  if (/ALTNAME|HOSTNAME_MISMATCH|COMMON_NAME_INVALID/.test(detail)) return 'its certificate was issued for a different host name'
  if (/EXPIRED|NOT_YET_VALID|DATE_INVALID/.test(detail)) return 'its certificate has expired or is not valid yet'
  if (/REVOKED/.test(detail)) return 'its certificate has been revoked'
  return 'the secure connection could not be established'
}

/** Classifies a fetch rejection that is not our own deadline or a caller's cancellation. */
export function classifyNetworkError(error: unknown, context: NetworkErrorContext): AppError {
  const { code, detail } = networkCodeOf(error)
  const where = `${context.target} (${context.host})`
  const details = detail ? { errorDescription: detail } : {}
  switch (code) {
    case 'dns':
      return appError('network', 'dns', `The host name of ${where} could not be resolved.`, {
        hint: 'Check the spelling of the URL, your network connection, and whether a VPN is needed.',
        transient: true,
        ...details,
      })
    case 'refused':
      return appError('network', 'refused', `${capitalise(where)} refused the connection.`, {
        hint: 'Check the port in the URL and that the server is running.',
        transient: true,
        ...details,
      })
    case 'timeout':
      return appError('network', 'timeout', `${capitalise(where)} did not answer in time.`, {
        hint: 'The server or the network is slow or down. Try again later.',
        transient: true,
        ...details,
      })
    case 'tls':
      return appError('network', 'tls', `The secure connection to ${where} was refused: ${tlsWords(detail)}.`, {
        hint: 'Check the URL. If the server uses a company certificate authority, it must be trusted by the operating system.',
        transient: false,
        ...details,
      })
    case 'reset':
      return appError('network', 'reset', `The connection to ${where} was closed before the answer was complete.`, {
        hint: 'A proxy or the server dropped the connection. Try again.',
        transient: true,
        ...details,
      })
    case 'redirect':
      return appError('network', 'redirect', `${capitalise(where)} redirected the request, which is not followed.`, {
        hint: 'Use the final URL directly.',
        transient: false,
        ...details,
      })
    case 'unreachable':
      return appError('network', 'unreachable', `${capitalise(where)} cannot be reached from this network.`, {
        hint: 'Check your network connection, proxy and VPN.',
        transient: true,
        ...details,
      })
    case 'failed':
      return appError('network', 'failed', `The request to ${where} failed.`, {
        hint: 'Check the URL and your network connection.',
        transient: true,
        ...details,
      })
  }
}

export function timeoutError(context: NetworkErrorContext, timeoutMs: number): AppError {
  return appError('network', 'timeout', `${capitalise(context.target)} (${context.host}) did not answer within ${formatSeconds(timeoutMs)}.`, {
    hint: 'The server or the network is slow or down. Try again later.',
    transient: true,
  })
}

export function cancelledError(): AppError {
  return appError('cancelled', 'cancelled', 'The request was cancelled.')
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
