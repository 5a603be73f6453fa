/**
 * What the window can do with a stored token without ever holding it: copy it (as the token, as
 * an Authorization header, or as a curl command to the datasource URL) through the main process's
 * clipboard, and read its decoded JWT header and claims. A copy is cleared from the clipboard after
 * a minute unless something else was copied meanwhile.
 */
import { appError, fail, ok, type Result } from '../../shared/errors'
import type { IntrospectionOffer, IntrospectionReport } from '../../shared/introspection'
import type { CopyFormat, CopyReceipt, TokenDetails } from '../../shared/token-actions'
import type { DatasourceId } from '../../shared/ids'
import type { ClipboardPort } from './clipboard'
import type { DatasourceRecord, DatasourceRepository } from './db/datasource-repository'
import type { Clock, FetchLike, Logger, TimerHandle } from './deps'
import { decodeJwt } from './jwt'
import { introspectToken } from './oauth/introspection'
import { oauthConfig } from './renewer'
import { keychainAppError } from './secrets/keychain-errors'
import type { Secret } from './secrets/secret'
import { urlHost } from '../../shared/url-parts'

/** How long a copied token stays on the clipboard. */
export const CLIPBOARD_CLEAR_MS = 60_000

export interface TokenActionsDeps {
  readonly repo: DatasourceRepository
  /** Reads the datasource's current access token (DatasourceService.readSecret: the versioned account SQLite points to). */
  readonly readAccessToken: (id: string) => Promise<Secret | null>
  /** Reads the datasource's client secret, for introspection's client authentication. */
  readonly readClientSecret: (id: string) => Promise<Secret | null>
  readonly fetch: FetchLike
  readonly clipboard: ClipboardPort | null
  readonly clock: Clock
  readonly logger: Logger
}

/** Quotes a word for a POSIX shell: the only character that needs care inside '...' is ' itself. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** The text each copy format puts on the clipboard. */
export function copyText(format: CopyFormat, token: string, tokenType: string, url: string): string {
  // RFC 6750: the scheme is "Bearer" whatever case the server wrote it in.
  const header = `Authorization: ${/^bearer$/i.test(tokenType) ? 'Bearer' : tokenType} ${token}`
  if (format === 'access-token') return token
  if (format === 'authorization-header') return header
  return `curl -H ${shellQuote(header)} ${shellQuote(url)}`
}

const notFound = () => appError('not-found', 'datasource-not-found', 'This datasource no longer exists.', { hint: 'It may have been deleted from another window or the command line.' })
const noToken = () =>
  appError('validation', 'no-token', 'There is no token to copy yet.', { hint: 'Get one with Renew now, or test the connection and save.' })

const noIntrospection = () =>
  appError('validation', 'no-introspection', 'This server advertises no token introspection (RFC 7662) for this token URL.', {
    hint: 'Introspection is offered when the issuer URL in Settings names a server whose metadata lists an introspection endpoint.',
    cliHint: 'Introspection is offered when the datasource has an issuer (--issuer) whose metadata lists an introspection endpoint.',
  })

/** Where the window may offer "Check at the server": only where the metadata named an endpoint. */
function introspectionOffer(record: DatasourceRecord): IntrospectionOffer | null {
  if (record.auth.type !== 'oauth2-password') return null
  const endpoint = oauthConfig(record.auth, null).introspectionEndpoint
  if (!endpoint) return null
  try {
    const url = new URL(endpoint)
    return { host: url.host, sameOrigin: url.origin === new URL(record.auth.tokenUrl).origin }
  } catch {
    return null
  }
}

export class TokenActions {
  readonly #deps: TokenActionsDeps
  #clearTimer: TimerHandle | null = null

  constructor(deps: TokenActionsDeps) {
    this.#deps = deps
  }

  async copy(id: DatasourceId, format: CopyFormat): Promise<Result<CopyReceipt>> {
    const { repo, clipboard, clock } = this.#deps
    const record = repo.get(id)
    if (!record) return fail(notFound())
    if (!clipboard) return fail(appError('internal', 'no-clipboard', 'There is no clipboard here.', { hint: 'Use `datasource-desk token` in a terminal instead.' }))
    if (format === 'curl' && !record.url) {
      return fail(appError('validation', 'no-url', 'This datasource has no URL for curl to call.', { hint: 'Add its URL in Settings, or copy the Authorization header instead.' }))
    }
    const meta = repo.token(id)
    if (!meta) return fail(noToken())
    const token = await this.#readToken(id)
    if (!token.ok) return token
    const text = copyText(format, token.value, meta.tokenType, record.url)
    try {
      await clipboard.writeText(text)
    } catch (error) {
      this.#deps.logger.warn('clipboard write failed', { error: error instanceof Error ? error.name : typeof error })
      return fail(appError('internal', 'clipboard', 'The clipboard could not be written.', { hint: 'Try again.' }))
    }
    const clearsAt = clock.now() + CLIPBOARD_CLEAR_MS
    this.#scheduleClear(text)
    return ok({ format, clearsAt, expiresAt: meta.expiresAt })
  }

  async details(id: DatasourceId): Promise<Result<TokenDetails>> {
    const record = this.#deps.repo.get(id)
    if (!record) return fail(notFound())
    const meta = this.#deps.repo.token(id)
    if (!meta) return fail(noToken())
    const token = await this.#readToken(id)
    if (!token.ok) return token
    return ok({ jwt: decodeJwt(token.value), introspection: introspectionOffer(record) })
  }

  /**
   * Asks the server about the stored access token (RFC 7662), where its metadata advertised an
   * introspection endpoint for this token URL. Only non-secret fields come back.
   */
  async introspect(id: DatasourceId): Promise<Result<IntrospectionReport>> {
    const { repo, clock, logger } = this.#deps
    const record = repo.get(id)
    if (!record) return fail(notFound())
    const auth = record.auth
    const endpoint = auth.type === 'oauth2-password' ? oauthConfig(auth, null).introspectionEndpoint : undefined
    if (auth.type !== 'oauth2-password' || !endpoint) return fail(noIntrospection())
    if (!repo.token(id)) return fail(noToken())
    const token = await this.#readSecret(() => this.#deps.readAccessToken(id))
    if (!token.ok) return token
    if (!token.value || token.value.isEmpty) return fail(noToken())
    const secret = auth.hasClientSecret && auth.clientAuth !== 'none' ? await this.#readSecret(() => this.#deps.readClientSecret(id)) : ok(null)
    if (!secret.ok) return secret
    const result = await introspectToken({ endpoint, config: oauthConfig(auth, secret.value), accessToken: token.value }, { fetch: this.#deps.fetch, now: () => clock.now() })
    logger.info('introspection', { datasourceId: id, host: urlHost(endpoint), ...(result.ok ? { active: result.value.active } : { code: result.error.code }) })
    return result
  }

  dispose(): void {
    if (this.#clearTimer !== null) this.#deps.clock.clearTimeout(this.#clearTimer)
    this.#clearTimer = null
  }

  async #readSecret(read: () => Promise<Secret | null>): Promise<Result<Secret | null>> {
    try {
      return ok(await read())
    } catch (error) {
      return fail(keychainAppError(error))
    }
  }

  async #readToken(id: string): Promise<Result<string>> {
    try {
      const secret = await this.#deps.readAccessToken(id)
      if (!secret || secret.isEmpty) return fail(noToken())
      return ok(secret.reveal())
    } catch (error) {
      return fail(keychainAppError(error))
    }
  }

  /** Clears the clipboard after a minute, unless the user copied something else meanwhile. */
  #scheduleClear(written: string): void {
    const { clock, clipboard } = this.#deps
    if (this.#clearTimer !== null) clock.clearTimeout(this.#clearTimer)
    this.#clearTimer = clock.setTimeout(() => {
      this.#clearTimer = null
      void (async () => {
        try {
          if (clipboard && (await clipboard.readText()) === written) await clipboard.writeText('')
        } catch {
          // Nothing to clear into a clipboard that cannot be read.
        }
      })()
    }, CLIPBOARD_CLEAR_MS)
  }
}
