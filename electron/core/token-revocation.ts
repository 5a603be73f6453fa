/**
 * When the app lets go of tokens, it asks the server to revoke them (RFC 7009), where the server's
 * metadata advertised a revocation endpoint: on delete (the datasource's stored tokens, read before
 * the keychain entries go), on a Save that drops the stored token (read before the write), and for
 * a token the renewer discarded because the settings changed while it was requested. Best effort and bounded (oauth/revocation.ts): a delete is never blocked
 * or failed by it, and what happened is reported, never a secret.
 */
import type { RevocationReport } from '../../shared/revocation'
import { revocationText } from '../../shared/revocation'
import type { DatasourceRecord } from './db/datasource-repository'
import type { Clock, FetchLike, Logger } from './deps'
import type { HistoryLog } from './history-log'
import { revokeTokens, type RevocationTarget } from './oauth/revocation'
import type { IssuedToken, OAuthClientConfig } from './oauth/token-client'
import { oauthConfig } from './renewer'
import type { SecretVault } from './secret-vault'
import { keychainAppError } from './secrets/keychain-errors'
import type { Secret } from './secrets/secret'
import type { SecretKind } from './secrets/secret-store'
import { urlHost } from '../../shared/url-parts'

export interface TokenRevocationDeps {
  readonly vault: SecretVault
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly logger: Logger
  readonly history: HistoryLog
  /** Overall deadline of one revocation (both tokens); REVOCATION_TIMEOUT_MS by default. */
  readonly timeoutMs?: number
}

/** What delete needs to revoke later: the target, or a report saying why it cannot. */
export type PreparedRevocation = { readonly target: RevocationTarget } | { readonly report: RevocationReport } | null

export class TokenRevocation {
  readonly #deps: TokenRevocationDeps
  readonly #inFlight = new Set<Promise<void>>()

  constructor(deps: TokenRevocationDeps) {
    this.#deps = deps
  }

  /**
   * Reads what a delete will revoke, before the keychain entries are removed. Null when the server
   * advertised no revocation endpoint or no token is stored; makes no keychain call then.
   */
  async prepare(record: DatasourceRecord, hasToken: boolean): Promise<PreparedRevocation> {
    const auth = record.auth
    if (auth.type !== 'oauth2-password' || !hasToken) return null
    const probe = oauthConfig(auth, null)
    if (!probe.revocationEndpoint) return null
    const endpoint = probe.revocationEndpoint
    try {
      const read = (kind: SecretKind): Promise<Secret | null> => this.#deps.vault.read(record.id, kind)
      const refreshToken = await read('refresh-token')
      const accessToken = await read('access-token')
      if (!refreshToken && !accessToken) return null
      const clientSecret = auth.hasClientSecret && auth.clientAuth !== 'none' ? await read('client-secret') : null
      return { target: { endpoint, config: oauthConfig(auth, clientSecret), refreshToken, accessToken } }
    } catch (error) {
      const failure = keychainAppError(error)
      return { report: { host: urlHost(endpoint), revoked: [], error: { ...failure, message: `the OS keychain did not give the tokens back (${failure.message.replace(/\.$/, '')})` } } }
    }
  }

  /** Revokes what `prepare` read; never throws. */
  async revoke(prepared: PreparedRevocation): Promise<RevocationReport | null> {
    if (!prepared) return null
    if ('report' in prepared) return prepared.report
    try {
      return await revokeTokens(prepared.target, this.#options())
    } catch (error) {
      this.#deps.logger.error('revocation failed', { error: error instanceof Error ? error.name : typeof error })
      return null
    }
  }

  /**
   * A token obtained for settings that changed (or a datasource deleted) meanwhile: revoked in the
   * background at the revocation endpoint of the configuration it was requested with, and only on
   * that token URL's origin (revokeTokens checks).
   */
  discarded(datasourceId: string, issued: IssuedToken, config: OAuthClientConfig): void {
    const endpoint = config.revocationEndpoint
    if (!endpoint) return
    const { logger, history } = this.#deps
    const work = revokeTokens({ endpoint, config, refreshToken: issued.refreshToken, accessToken: issued.accessToken }, this.#options()).then(
      (report) => {
        if (!report) return
        logger.info('discarded token revocation', { datasourceId, host: report.host, revoked: report.revoked, code: report.error?.code })
        history.add(datasourceId, { kind: 'config-changed', message: `A token obtained for the previous settings was discarded. ${revocationText(report)}` })
      },
      (error: unknown) => logger.error('discarded token revocation failed', { datasourceId, error: error instanceof Error ? error.name : typeof error }),
    )
    this.#inFlight.add(work)
    void work.finally(() => this.#inFlight.delete(work))
  }

  /**
   * The stored token that a Save dropped (its settings changed: token URL, client, user, scope):
   * revoked in the background with what `prepare` read before the write, so Save never waits for
   * the server; the History says what happened, as a delete's report does.
   */
  droppedBySave(datasourceId: string, prepared: PreparedRevocation): void {
    if (!prepared) return
    const { logger, history } = this.#deps
    const work = this.revoke(prepared).then((report) => {
      if (!report) return
      logger.info('dropped token revocation', { datasourceId, host: report.host, revoked: report.revoked, code: report.error?.code })
      history.add(datasourceId, { kind: 'config-changed', message: `The token of the previous settings was dropped. ${revocationText(report)}` })
    })
    this.#inFlight.add(work)
    void work.finally(() => this.#inFlight.delete(work))
  }

  /** Resolves once the background revocations have ended (each is bounded by its deadline). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight])
  }

  #options() {
    return { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), ...(this.#deps.timeoutMs ? { timeoutMs: this.#deps.timeoutMs } : {}) }
  }
}
