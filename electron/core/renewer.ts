/**
 * How a token is obtained and stored; the scheduler (renewal.ts) decides when. This module owns the
 * cross-process lease, the grant order (refresh token first, then the stored password) and the one
 * write path for tokens and secrets: timer and manual renewals, a tested token that is saved,
 * sign-in, edits and deletes all store through `write`, which checks, in the same SQLite
 * transaction as the metadata, that the datasource is still at the configuration revision the
 * request was made for. A token obtained for settings that changed meanwhile (or for a datasource
 * deleted meanwhile) is discarded and nothing is written.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { AppFailure, appError, leaseBusy, noOAuth, notFound, signInNeeded, storageError, type AppError } from '../../shared/errors'
import type { AuthView, DiscoveredServer, OAuth2PasswordInput } from '../../shared/datasource'
import { presetHint } from '../../shared/presets'
import type { TokenMeta } from '../../shared/token'
import type { DatasourceRepository } from './db/datasource-repository'
import { systemClock, type Clock, type FetchLike, type Logger, type TimerHandle } from './deps'
import type { HistoryLog } from './history-log'
import { requestPasswordToken, requestRefreshedToken, type IssuedToken, type OAuthClientConfig } from './oauth/token-client'
import { refreshTokenIsDead } from './oauth/token-errors'
import { holderGone } from './process-holder'
import type { RenewalOutcome, RenewalReason } from './renewal'
import type { SecretVault, StagedSecret } from './secret-vault'
import { keychainAppError, missingSecretError } from './secrets/keychain-errors'
import type { Secret } from './secrets/secret'
import { KeychainError, type SecretKind } from './secrets/secret-store'

/**
 * A lease lives this long unless its holder renews it. The holder renews it every
 * LEASE_HEARTBEAT_MS while it works (a renewal may make two 15 s token requests and several
 * keychain calls of up to 5 s each), so a live holder keeps it however long the work takes, and a
 * holder that stopped (a frozen or killed process) loses it within the TTL, or at once when its
 * pid is gone (holderGone).
 */
export const LEASE_TTL_MS = 30_000
export const LEASE_HEARTBEAT_MS = 10_000
const LEASE_POLL_MS = 100

export interface RenewerDeps {
  readonly repo: DatasourceRepository
  readonly vault: SecretVault
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly logger: Logger
  readonly history: HistoryLog
  /** This process's name in the lease table (see process-holder.ts). */
  readonly holder: string
  /**
   * Time for the lease, shared with other processes, so real time by default (systemClock): the
   * scheduler's clock may be a test's. Injected in tests of the lease's timing.
   */
  readonly leaseClock?: Clock
  /**
   * A token was obtained but not stored, because the datasource changed or was deleted while it
   * was requested. The hook for revoking it at the server (RFC 7009) where the server supports it.
   */
  readonly onTokenDiscarded?: (datasourceId: string, token: IssuedToken, config: OAuthClientConfig) => void
}

/** What a write is for: the revision its request was made for, what it stores and what goes with it. */
export interface WritePlan {
  /** The revision the request was made for; null for a datasource that must not exist yet. */
  readonly expectedRevision: number | null
  /** Secrets to store (a value) or forget (null); kinds not named stay as they are. */
  readonly secrets: ReadonlyMap<SecretKind, Secret | null>
  /** The SQLite writes that belong with these secrets; runs inside the transaction, after the check. */
  readonly write: () => void
}

export type WriteRefusal = 'config-changed' | 'deleted' | 'exists'

export type WriteResult = { readonly written: true } | { readonly written: false; readonly reason: WriteRefusal }

export type StoreResult =
  | { readonly stored: true; readonly token: TokenMeta; readonly accessToken: Secret }
  | { readonly stored: false; readonly reason: WriteRefusal; readonly current: TokenMeta | null }

export interface StoreTokenOptions {
  /** The refresh token the request used: kept when the response brings no new one (RFC 6749 6). */
  readonly previousRefreshToken?: Secret | null
  /** More secrets stored with the token (the password typed at sign-in). */
  readonly secrets?: ReadonlyMap<SecretKind, Secret | null>
  /** More SQLite writes in the same transaction. */
  readonly write?: () => void
  /** For the discard hook. */
  readonly config?: OAuthClientConfig
}

/** The secrets a renewal writes, coalesced into token bundles (secret-vault.ts stageTokens). */
const TOKEN_KINDS: ReadonlySet<SecretKind> = new Set(['access-token', 'refresh-token'])

type OAuthRecord = Extract<AuthView, { type: 'oauth2-password' }>

/** A revision check that failed inside writeAll's transaction: rolls the whole transaction back. */
class RefusedWrite extends Error {
  constructor(
    readonly reason: WriteRefusal,
    readonly id: string,
  ) {
    super(reason)
  }
}

export class Renewer {
  readonly #deps: RenewerDeps

  constructor(deps: RenewerDeps) {
    this.#deps = deps
  }

  /**
   * Renewal is single-flight across processes too: the app and the CLI share the database, and with
   * a server that rotates refresh tokens two refreshes with the same token would kill it. Whoever
   * holds the lease renews; the other waits and then uses the token the holder stored.
   */
  async renew(id: string, reason: RenewalReason): Promise<RenewalOutcome> {
    const { repo } = this.#deps
    const before = repo.token(id)
    const renewedElsewhere = (): TokenMeta | null => {
      const current = repo.token(id)
      return current && (!before || current.obtainedAt > before.obtainedAt) ? current : null
    }
    return this.#withLease(id, renewedElsewhere, async () => {
      const token = renewedElsewhere()
      return token ? { ok: true, token } : this.#renewWithGrants(id, reason)
    })
  }

  /** Gets a token with a password the user typed ("Sign-in needed"), and keeps the password if asked to. */
  async signIn(id: string, password: Secret, remember: boolean): Promise<RenewalOutcome> {
    return this.#withLease(id, () => null, async () => {
      const { repo, clock } = this.#deps
      const record = repo.get(id)
      if (!record) return { ok: false, error: notFound() }
      if (record.auth.type !== 'oauth2-password') return { ok: false, error: noOAuth() }
      const auth = record.auth
      return this.#guarded(id, async () => {
        const config = oauthConfig(auth, auth.hasClientSecret ? await this.readSecret(id, 'client-secret') : null)
        const issued = await requestPasswordToken(config, auth.username, password, { fetch: this.#deps.fetch, now: () => clock.now() })
        if (!issued.ok) return { ok: false, error: issued.error }
        const stored = await this.storeToken(id, record.revision, issued.value, {
          config,
          secrets: new Map([['password', remember ? password : null]]),
          write: () => {
            repo.setHasPassword(id, remember, remember, clock.now())
            this.#deps.history.add(id, { kind: 'obtained', message: 'Signed in with the password you entered.', grant: 'password' })
          },
        })
        return outcomeOf(stored)
      })
    })
  }

  /**
   * Stores a token obtained for `expectedRevision` of the datasource, with its refresh token and
   * metadata, unless the datasource changed or went away since; then the token is discarded.
   */
  async storeToken(id: string, expectedRevision: number | null, issued: IssuedToken, options: StoreTokenOptions = {}): Promise<StoreResult> {
    const { repo } = this.#deps
    const secrets = new Map<SecretKind, Secret | null>(options.secrets)
    secrets.set('access-token', issued.accessToken)
    // RFC 6749 6: a refresh response without a new refresh token means the old one stays valid.
    const previousRefreshToken = options.previousRefreshToken ?? null
    // Only what changed is written: a server that sends the same refresh token back costs no write.
    const rotated = issued.refreshToken !== null && issued.refreshToken.reveal() !== previousRefreshToken?.reveal()
    if (issued.refreshToken && rotated) secrets.set('refresh-token', issued.refreshToken)
    else if (!issued.refreshToken && !previousRefreshToken) secrets.set('refresh-token', null)
    const meta: TokenMeta = { ...issued.meta, hasRefreshToken: issued.refreshToken !== null || previousRefreshToken !== null }
    const result = await this.write(id, {
      expectedRevision,
      secrets,
      write: () => {
        options.write?.()
        repo.saveToken(id, meta)
      },
    })
    if (result.written) return { stored: true, token: meta, accessToken: issued.accessToken }
    this.#deps.logger.info('token discarded: the datasource changed while it was requested', { datasourceId: id, reason: result.reason })
    if (options.config) this.#discarded(id, issued, options.config)
    return { stored: false, reason: result.reason, current: repo.token(id) }
  }

  /**
   * The one write path for a datasource's secrets and the metadata that goes with them. Rejects
   * with KeychainError when the keychain refuses, and with SQLite's error when the database does;
   * in both cases nothing new is pointed to and what was staged is taken back.
   */
  async write(id: string, plan: WritePlan): Promise<WriteResult> {
    const { repo, vault } = this.#deps
    // Checked first as well, so that a token for old settings does not even reach the keychain.
    const early = this.#refusal(id, plan.expectedRevision)
    if (early) return { written: false, reason: early }
    const staged: StagedSecret[] = []
    const removed: SecretKind[] = []
    const tokens = new Map<SecretKind, Secret>()
    try {
      for (const [kind, value] of plan.secrets) {
        if (!value || value.isEmpty) removed.push(kind)
        else if (TOKEN_KINDS.has(kind)) tokens.set(kind, value)
        else staged.push(await vault.stage(id, kind, value))
      }
      // Last, so that the commit follows the bundle write at once and the bundle is settled soon.
      staged.push(...(await vault.stageTokens(id, tokens)))
    } catch (error) {
      await vault.discard(staged)
      throw error
    }
    let refusal: WriteRefusal | null = null
    let released: string[] = []
    try {
      released = repo.transaction(() => {
        refusal = this.#refusal(id, plan.expectedRevision)
        if (refusal) return []
        plan.write()
        return vault.point(id, staged, removed)
      })
    } catch (error) {
      await vault.discard(staged)
      throw error
    }
    if (refusal) {
      await vault.discard(staged)
      return { written: false, reason: refusal }
    }
    vault.committed(staged)
    // The old versions are marked in the commit and deleted off this path.
    if (released.length > 0) vault.drainLater(released)
    return { written: true }
  }

  /**
   * `write` for several datasources in one transaction (an import): every secret is staged first,
   * then all revision checks and SQLite writes commit together, or none does and every staged
   * secret is taken back. The refusal names the first datasource that changed meanwhile.
   */
  async writeAll(items: ReadonlyArray<{ readonly id: string; readonly plan: WritePlan }>): Promise<{ readonly written: true } | { readonly written: false; readonly reason: WriteRefusal; readonly id: string }> {
    const { repo, vault } = this.#deps
    for (const { id, plan } of items) {
      const early = this.#refusal(id, plan.expectedRevision)
      if (early) return { written: false, reason: early, id }
    }
    const staged = new Map<string, StagedSecret[]>()
    const removed = new Map<string, SecretKind[]>()
    const allStaged = (): StagedSecret[] => [...staged.values()].flat()
    try {
      for (const { id, plan } of items) {
        const mine: StagedSecret[] = []
        staged.set(id, mine)
        removed.set(id, [])
        for (const [kind, value] of plan.secrets) {
          if (value && !value.isEmpty) mine.push(await vault.stage(id, kind, value))
          else removed.get(id)!.push(kind)
        }
      }
    } catch (error) {
      await vault.discard(allStaged())
      throw error
    }
    let refused: { reason: WriteRefusal; id: string } | null = null
    let released: string[] = []
    try {
      released = repo.transaction(() => {
        const all: string[] = []
        for (const { id, plan } of items) {
          const reason = this.#refusal(id, plan.expectedRevision)
          // Thrown, so that the writes of the entries before it roll back too.
          if (reason) throw new RefusedWrite(reason, id)
          plan.write()
          all.push(...vault.point(id, staged.get(id) ?? [], removed.get(id) ?? []))
        }
        return all
      })
    } catch (error) {
      await vault.discard(allStaged())
      if (!(error instanceof RefusedWrite)) throw error
      refused = { reason: error.reason, id: error.id }
    }
    if (refused) return { written: false, ...refused }
    vault.committed(allStaged())
    // The old versions are marked in the commit and deleted off this path.
    if (released.length > 0) vault.drainLater(released)
    return { written: true }
  }

  /** Reads a secret that must be there; rejects with an AppFailure (secret-missing) or a KeychainError. */
  async readSecret(id: string, kind: SecretKind): Promise<Secret> {
    const value = await this.#deps.vault.read(id, kind)
    if (!value) throw new AppFailure(missingSecretError(kind))
    return value
  }

  #refusal(id: string, expectedRevision: number | null): WriteRefusal | null {
    const current = this.#deps.repo.revision(id)
    if (expectedRevision === null) return current === undefined ? null : 'exists'
    if (current === undefined) return 'deleted'
    return current === expectedRevision ? null : 'config-changed'
  }

  async #withLease(id: string, doneElsewhere: () => TokenMeta | null, work: () => Promise<RenewalOutcome>): Promise<RenewalOutcome> {
    const { repo, holder, logger } = this.#deps
    const clock = this.#deps.leaseClock ?? systemClock
    const waitUntil = clock.now() + LEASE_TTL_MS + 5_000
    try {
      while (!repo.tryAcquireLease(id, holder, clock.now(), LEASE_TTL_MS, holderGone)) {
        if (clock.now() > waitUntil) {
          return { ok: false, error: leaseBusy() }
        }
        // A real, referenced timer by default: systemClock's are unref'd, and a command waiting for
        // another process's lease has nothing else keeping it alive.
        const injected = this.#deps.leaseClock
        await (injected ? new Promise<void>((resolve) => injected.setTimeout(resolve, LEASE_POLL_MS)) : sleep(LEASE_POLL_MS))
        const token = doneElsewhere()
        if (token) return { ok: true, token }
      }
    } catch (error) {
      // The lease is a SQLite write: on a full disk it fails before any request was sent (it used
      // to surface as "Token renewal failed unexpectedly").
      logger.error('renewal lease not taken', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      return { ok: false, error: storageError('The token could not be renewed: the database could not be written.', true) }
    }
    let heartbeat: TimerHandle | null = null
    const beat = (): void => {
      try {
        if (!repo.extendLease(id, holder, clock.now() + LEASE_TTL_MS)) {
          logger.warn('renewal lease lost while renewing', { datasourceId: id })
          return
        }
      } catch (error) {
        logger.warn('renewal lease not extended', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      }
      heartbeat = clock.setTimeout(beat, LEASE_HEARTBEAT_MS)
    }
    heartbeat = clock.setTimeout(beat, LEASE_HEARTBEAT_MS)
    try {
      return await work()
    } finally {
      if (heartbeat !== null) clock.clearTimeout(heartbeat)
      try {
        repo.releaseLease(id, holder)
      } catch (error) {
        // The outcome stands; an unreleased lease expires on its own (LEASE_TTL_MS).
        logger.warn('renewal lease not released', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      }
    }
  }

  async #renewWithGrants(id: string, reason: RenewalReason): Promise<RenewalOutcome> {
    const { repo, clock, logger, vault, history } = this.#deps
    const record = repo.get(id)
    if (!record) return { ok: false, error: notFound() }
    if (record.auth.type !== 'oauth2-password') return { ok: false, error: noOAuth() }
    const auth = record.auth
    const options = { fetch: this.#deps.fetch, now: () => clock.now() }
    return this.#guarded(id, async () => {
      const config = oauthConfig(auth, auth.hasClientSecret ? await this.readSecret(id, 'client-secret') : null)
      const current = repo.token(id)
      let refreshFailure: AppError | null = null
      let rejected: TokenMeta | undefined

      const refreshToken = current?.hasRefreshToken ? await vault.read(id, 'refresh-token') : null
      if (refreshToken) {
        const refreshed = await requestRefreshedToken(config, refreshToken, options)
        if (refreshed.ok) {
          const stored = await this.storeToken(id, record.revision, refreshed.value, {
            config,
            previousRefreshToken: refreshToken,
            write: () => history.add(id, { kind: 'renewed', message: `Renewed with the refresh token (${reason}).`, grant: 'refresh_token' }),
          })
          return outcomeOf(stored)
        }
        // A dead refresh token falls back to the password (refreshTokenIsDead says how servers say it).
        if (!refreshTokenIsDead(refreshed.error)) return { ok: false, error: refreshed.error }
        refreshFailure = refreshed.error
        // Recorded with the token it belongs to, so status says "not accepted" from the fact, even
        // when the password grant that follows fails for another reason (or is never tried).
        rejected = repo.markRefreshRejected(id, current!.obtainedAt, clock.now()) ?? undefined
        logger.info('refresh token rejected; falling back to the password grant', { datasourceId: id, code: refreshed.error.code })
      }
      const failed = (error: AppError): RenewalOutcome => (rejected ? { ok: false, error, token: rejected } : { ok: false, error })

      if (!auth.hasPassword) {
        return failed(signInNeeded(refreshFailure))
      }
      const password = await this.readSecret(id, 'password')
      const issued = await requestPasswordToken(config, auth.username, password, options)
      if (!issued.ok) return failed(issued.error)
      const stored = await this.storeToken(id, record.revision, issued.value, {
        config,
        write: () => history.add(id, { kind: 'renewed', message: `Renewed with the password grant (${reason}).`, grant: 'password' }),
      })
      return outcomeOf(stored)
    })
  }

  /** Keychain and SQLite failures become outcomes; nothing is thrown at the scheduler. */
  async #guarded(id: string, work: () => Promise<RenewalOutcome>): Promise<RenewalOutcome> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof AppFailure) return { ok: false, error: error.error }
      if (error instanceof KeychainError) return { ok: false, error: { ...keychainAppError(error), transient: true } }
      // Anything else came from SQLite (storing the token metadata); nothing new is pointed to.
      this.#deps.logger.error('token metadata not stored', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      return { ok: false, error: storageError('The new token could not be stored in the database.', true) }
    }
  }

  #discarded(id: string, issued: IssuedToken, config: OAuthClientConfig): void {
    try {
      this.#deps.onTokenDiscarded?.(id, issued, config)
    } catch (error) {
      this.#deps.logger.error('discarded-token hook failed', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
    }
  }
}

function outcomeOf(stored: StoreResult): RenewalOutcome {
  if (stored.stored) return { ok: true, token: stored.token, accessToken: stored.accessToken }
  return { ok: false, superseded: true, token: stored.current, error: supersededError(stored.reason) }
}

export function supersededError(reason: WriteRefusal): AppError {
  return reason === 'deleted'
    ? notFound()
    : appError('conflict', 'config-changed', 'The settings changed while the token was being requested; that token was discarded.', {
        hint: 'Renew again to get a token for the new settings.',
      })
}

export function oauthConfig(auth: OAuth2PasswordInput | OAuthRecord, clientSecret: Secret | null, discovered?: DiscoveredServer | null): OAuthClientConfig {
  // The issuer for id_token validation comes only from discovery, and only while the token URL is
  // the one the metadata advertised.
  const discovery = discovered ?? ('discovery' in auth ? auth.discovery : null)
  const vendorHint = presetHint(auth.preset)
  return {
    tokenUrl: auth.tokenUrl,
    clientId: auth.clientId,
    clientSecret,
    clientAuth: auth.clientAuth,
    scope: auth.scope,
    extraParams: auth.extraParams,
    ...(discovery && discovery.tokenEndpoint === auth.tokenUrl
      ? { issuer: { issuer: discovery.issuer, ...(discovery.idTokenSigningAlgs ? { idTokenSigningAlgs: discovery.idTokenSigningAlgs } : {}) } }
      : {}),
    ...(vendorHint ? { vendorHint } : {}),
    ...(discovery && discovery.tokenEndpoint === auth.tokenUrl && discovery.revocationEndpoint ? { revocationEndpoint: discovery.revocationEndpoint } : {}),
    ...(discovery && discovery.tokenEndpoint === auth.tokenUrl && discovery.introspectionEndpoint ? { introspectionEndpoint: discovery.introspectionEndpoint } : {}),
  }
}
