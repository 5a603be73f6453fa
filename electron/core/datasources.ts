import { createHash, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AuthView, DatasourceInput, DatasourceView, OAuth2PasswordInput, SecretInput } from '../../shared/datasource'
import { appError, fail, ok, type AppError, type Result } from '../../shared/errors'
import type { AppState, ClientAuthNegotiation, HistoryEvent, TestReport } from '../../shared/ipc'
import { notConnected, type TokenMeta, type TokenStatus } from '../../shared/token'
import type { DatasourceRecord, DatasourceRepository, NewHistoryEvent } from './db/datasource-repository'
import type { Clock, CoreEvent, FetchLike, Logger } from './deps'
import { checkApi, requestPasswordToken, requestRefreshedToken, type IssuedToken, type OAuthClientConfig } from './oauth/token-client'
import { negotiateClientAuth } from './oauth/client-auth-negotiation'
import { refreshTokenIsDead } from './oauth/token-errors'
import { RenewalScheduler, type RenewalOutcome, type RenewalReason } from './renewal'
import { keychainAppError, missingSecretError } from './secrets/keychain-errors'
import { Secret } from './secrets/secret'
import { KeychainError, SECRET_KINDS, parseSecretAccount, secretAccount, type SecretKind, type SecretStore } from './secrets/secret-store'

/** A token fetched by Test connection, kept in memory until Save stores it (or it goes stale). */
interface PendingToken {
  readonly fingerprint: string
  readonly issued: IssuedToken
  readonly createdAt: number
}

/** The token of a test is only stored by a Save within this time. */
const PENDING_TOKEN_TTL_MS = 15 * 60_000
const MAX_PENDING_TOKENS = 50
/** Longer than a token request may take (15 s), so a live holder never loses its lease. */
const LEASE_TTL_MS = 30_000
const LEASE_POLL_MS = 100

export interface DatasourceServiceDeps {
  readonly repo: DatasourceRepository
  readonly secrets: SecretStore
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly random: () => number
  readonly logger: Logger
  readonly notify: (event: CoreEvent) => void
  readonly dataDir: string
}

type OAuthRecord = Extract<AuthView, { type: 'oauth2-password' }>

/** Secrets as the user means them after the form: resolved from the input or the keychain. */
interface ResolvedSecrets {
  readonly clientSecret: Secret | null
  readonly password: Secret | null
}

class KeychainFailure extends Error {
  constructor(readonly appError: AppError) {
    super(appError.message)
  }
}

/**
 * Creating, testing, saving, deleting and renewing datasources. Secrets go to the SecretStore
 * (the OS keychain) first, everything else to SQLite after, so that a crash in between leaves at
 * worst a keychain entry that the start-up sweep removes, never a row pointing at nothing new.
 */
export class DatasourceService {
  readonly scheduler: RenewalScheduler
  readonly #deps: DatasourceServiceDeps
  readonly #pendingTokens = new Map<string, PendingToken>()
  readonly #runningTests = new Map<string, AbortController>()
  /**
   * Names this process in the renewal lease table shared with the CLI and other app instances; the
   * pid in front lets another process see that a lease's holder was killed (leaseHolderGone).
   */
  readonly #leaseHolder = `${process.pid}:${randomUUID()}`

  constructor(deps: DatasourceServiceDeps) {
    this.#deps = deps
    this.scheduler = new RenewalScheduler({
      clock: deps.clock,
      random: deps.random,
      perform: (id, reason) => this.#performRenewal(id, reason),
      onStatus: (status) => this.#onStatus(status),
      onPermanentFailure: (id, error, signInNeeded) => this.#onPermanentFailure(id, error, signInNeeded),
      onAttemptFailed: (id, error, attempt) =>
        this.#history(id, { kind: 'failed', message: `Renewal failed: ${error.message}`, attempt, error }),
    })
  }

  /** Loads every saved token's state into the scheduler; call once at start. */
  start(): void {
    const { repo, clock } = this.#deps
    const tokens = repo.allTokens()
    const states = repo.allRenewalStates()
    const now = clock.now()
    const statuses: TokenStatus[] = repo.ids().map((id) => {
      const token = tokens.get(id) ?? null
      const saved = states.get(id)
      // 'renewing' cannot survive a restart: the request died with the process.
      const state = !saved || saved.state === 'renewing' ? 'idle' : saved.state
      return {
        ...notConnected(id, now),
        token,
        state,
        attempt: saved?.attempt ?? 0,
        lastError: saved?.lastError ?? null,
        nextAttemptAt: state === 'retrying' ? (saved?.nextAttemptAt ?? now) : null,
      }
    })
    this.scheduler.load(statuses)
  }

  list(): DatasourceView[] {
    return this.#deps.repo.list().map((record) => this.#view(record))
  }

  get(id: string): Result<DatasourceView> {
    const record = this.#deps.repo.get(id)
    return record ? ok(this.#view(record)) : fail(notFound())
  }

  history(id: string): Result<HistoryEvent[]> {
    if (!this.#deps.repo.get(id)) return fail(notFound())
    return ok(this.#deps.repo.history(id))
  }

  async appState(): Promise<AppState> {
    try {
      const { secrets } = this.#deps
      await (secrets.probe ? secrets.probe() : secrets.accounts())
      return { keychainAvailable: true, dataDir: this.#deps.dataDir }
    } catch (error) {
      return { keychainAvailable: false, keychainMessage: keychainAppError(error).message, dataDir: this.#deps.dataDir }
    }
  }

  /**
   * Test connection: gets a token with what the form holds. For a saved datasource whose settings
   * and secrets are unchanged this is a renewal, so it joins one already running (single-flight).
   */
  async test(testId: string, input: DatasourceInput): Promise<Result<TestReport>> {
    this.#dropStalePending()
    const existing = input.id ? this.#deps.repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    if (input.auth.type === 'none') {
      const apiCheck = input.url ? await this.#checkApi(input.url, null) : null
      return ok({ testId, token: null, scopeDiffers: false, apiCheck })
    }
    const auth = input.auth

    if (existing && isUnchanged(existing, input)) {
      const outcome = await this.scheduler.renew(existing.id, 'test')
      if (!outcome.ok) return fail(outcome.error)
      const accessToken = input.url ? await this.#readSecret(existing.id, 'access-token').catch(() => null) : null
      const apiCheck = input.url && accessToken ? await this.#checkApi(input.url, accessToken) : null
      return ok({ testId, token: outcome.token, scopeDiffers: scopeDiffers(outcome.token), apiCheck })
    }

    const resolved = await this.#secretsForTest(auth, existing)
    if (!resolved.ok) return resolved
    const { secrets, password } = resolved.value

    const controller = new AbortController()
    this.#runningTests.get(testId)?.abort()
    this.#runningTests.set(testId, controller)
    try {
      const result = await requestPasswordToken(oauthConfig(auth, secrets.clientSecret), auth.username, password, {
        fetch: this.#deps.fetch,
        now: () => this.#deps.clock.now(),
        signal: controller.signal,
      })
      if (!result.ok) return result
      const issued = result.value
      this.#pendingTokens.set(testId, {
        fingerprint: fingerprint(auth, secrets),
        issued,
        createdAt: this.#deps.clock.now(),
      })
      const apiCheck = input.url && !controller.signal.aborted ? await this.#checkApi(input.url, issued.accessToken, controller.signal) : null
      return ok({ testId, token: issued.meta, scopeDiffers: scopeDiffers(issued.meta), apiCheck })
    } finally {
      if (this.#runningTests.get(testId) === controller) this.#runningTests.delete(testId)
    }
  }

  /**
   * After Test connection met invalid_client: one attempt with each other client authentication
   * method against the same token URL. The accepted method's token is kept for Save under `testId`,
   * for the form switched to that method.
   */
  async tryOtherClientAuth(testId: string, input: DatasourceInput): Promise<Result<ClientAuthNegotiation>> {
    this.#dropStalePending()
    const existing = input.id ? this.#deps.repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    if (input.auth.type === 'none') return fail(appError('validation', 'no-oauth', 'This datasource does not use OAuth2 - Password.'))
    const auth = input.auth
    const resolved = await this.#secretsForTest(auth, existing)
    if (!resolved.ok) return resolved
    const { secrets, password } = resolved.value
    const controller = new AbortController()
    this.#runningTests.get(testId)?.abort()
    this.#runningTests.set(testId, controller)
    try {
      const options = { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), signal: controller.signal }
      const found = await negotiateClientAuth(oauthConfig(auth, secrets.clientSecret), auth.username, password, options)
      const attempts = found.attempts.map((attempt) => ({ method: attempt.method, ...(attempt.error ? { error: attempt.error } : {}) }))
      if (!found.accepted || !found.issued) return ok({ accepted: null, attempts, report: null })
      const switched = { ...auth, clientAuth: found.accepted }
      this.#pendingTokens.set(testId, { fingerprint: fingerprint(switched, secrets), issued: found.issued, createdAt: this.#deps.clock.now() })
      const apiCheck = input.url && !controller.signal.aborted ? await this.#checkApi(input.url, found.issued.accessToken, controller.signal) : null
      const meta = found.issued.meta
      return ok({ accepted: found.accepted, attempts, report: { testId, token: meta, scopeDiffers: scopeDiffers(meta), apiCheck } })
    } finally {
      if (this.#runningTests.get(testId) === controller) this.#runningTests.delete(testId)
    }
  }

  async #secretsForTest(auth: OAuth2PasswordInput, existing: DatasourceRecord | undefined): Promise<Result<{ secrets: ResolvedSecrets; password: Secret }>> {
    let secrets: ResolvedSecrets
    try {
      secrets = await this.#resolveSecrets(auth, existing)
    } catch (error) {
      return fail(error instanceof KeychainFailure ? error.appError : keychainAppError(error))
    }
    if (!secrets.password || secrets.password.isEmpty) {
      return fail(appError('validation', 'password-required', 'Enter the password to test the connection.', {
        fieldIssues: [{ path: 'auth.password', message: 'Password is required' }],
      }))
    }
    return ok({ secrets, password: secrets.password })
  }

  cancelTest(testId: string): { cancelled: boolean } {
    const controller = this.#runningTests.get(testId)
    controller?.abort()
    this.#runningTests.delete(testId)
    return { cancelled: controller !== undefined }
  }

  async save(input: DatasourceInput, testId?: string): Promise<Result<DatasourceView>> {
    this.#dropStalePending()
    const { repo, clock, logger } = this.#deps
    const now = clock.now()
    const existing = input.id ? repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    const clash = repo.idByName(input.name)
    if (clash && clash !== input.id) {
      return fail(appError('conflict', 'name-taken', `A datasource named "${input.name}" already exists.`, {
        hint: 'Choose another name.',
        fieldIssues: [{ path: 'name', message: 'This name is already used' }],
      }))
    }
    const id = existing?.id ?? randomUUID()
    const previousAuth = existing?.auth.type === 'oauth2-password' ? existing.auth : null

    // What goes to the keychain: a value to write, or null to delete.
    const writes = new Map<SecretKind, Secret | null>()
    let auth: AuthView
    let tokenToStore: IssuedToken | null = null
    const configChanged = !existing || !isUnchanged(existing, input)

    if (input.auth.type === 'none') {
      auth = { type: 'none' }
      if (previousAuth) for (const kind of SECRET_KINDS) writes.set(kind, null)
    } else {
      const form = input.auth
      const clientSecret = form.clientAuth === 'none' ? { action: 'set' as const, value: '' } : form.clientSecret
      const password = form.rememberPassword ? form.password : { action: 'set' as const, value: '' }
      const hasClientSecret = planSecret(writes, 'client-secret', clientSecret, previousAuth?.hasClientSecret ?? false)
      const hasPassword = planSecret(writes, 'password', password, previousAuth?.hasPassword ?? false)
      auth = {
        type: 'oauth2-password',
        tokenUrl: form.tokenUrl,
        clientId: form.clientId,
        clientAuth: form.clientAuth,
        username: form.username,
        rememberPassword: form.rememberPassword,
        scope: form.scope,
        extraParams: form.extraParams,
        hasClientSecret,
        hasPassword,
      }
      const pending = testId ? this.#pendingTokens.get(testId) : undefined
      if (pending) {
        try {
          const secrets = await this.#resolveSecrets(form, existing)
          if (pending.fingerprint === fingerprint(form, secrets)) tokenToStore = pending.issued
        } catch (error) {
          return fail(error instanceof KeychainFailure ? error.appError : keychainAppError(error))
        }
      }
    }

    const dropToken = configChanged && previousAuth !== null
    if (tokenToStore) {
      writes.set('access-token', tokenToStore.accessToken)
      writes.set('refresh-token', tokenToStore.refreshToken)
    } else if (dropToken) {
      // Only a datasource that had OAuth can have tokens in the keychain: a new or unchanged
      // "none" datasource makes no keychain call, so it saves even while the keychain is down.
      writes.set('access-token', null)
      writes.set('refresh-token', null)
    }

    try {
      await this.#applySecretWrites(id, writes)
    } catch (error) {
      return fail(keychainAppError(error))
    }

    const record: DatasourceRecord = {
      id,
      name: input.name,
      url: input.url,
      auth,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    }
    try {
      repo.transaction(() => {
        repo.save(record)
        if (tokenToStore) repo.saveToken(id, tokenToStore.meta)
        else if (dropToken || input.auth.type === 'none') repo.deleteToken(id)
      })
    } catch (error) {
      logger.error('datasource not stored', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      // A new datasource's secrets now belong to nothing; the start-up sweep would remove them too.
      if (!existing) for (const kind of writes.keys()) await this.#deps.secrets.delete(secretAccount(id, kind)).catch(() => false)
      return fail(storageError('The datasource could not be saved to the database.'))
    }
    if (existing && configChanged) this.#history(id, { kind: 'config-changed', message: dropToken ? 'Settings changed; the stored token was dropped.' : 'Settings changed.' })
    if (tokenToStore) {
      this.#history(id, { kind: 'obtained', message: 'Token from Test connection saved.', grant: 'password' })
      if (testId) this.#pendingTokens.delete(testId)
    }

    if (tokenToStore || dropToken || !existing || input.auth.type === 'none') {
      this.scheduler.setToken(id, repo.token(id))
    }
    this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [id] } })
    return ok(this.#view(record))
  }

  async delete(id: string): Promise<Result<{ id: string }>> {
    const { repo, logger } = this.#deps
    if (!repo.get(id)) return fail(notFound())
    this.scheduler.remove(id)
    repo.delete(id)
    for (const kind of SECRET_KINDS) {
      try {
        await this.#deps.secrets.delete(secretAccount(id, kind))
      } catch (error) {
        // The row is gone; the start-up sweep removes what could not be deleted now.
        logger.warn('keychain entry not deleted; the start-up sweep will retry', { datasourceId: id, kind, code: keychainAppError(error).code })
      }
    }
    this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [id] } })
    return ok({ id })
  }

  async renewNow(id: string): Promise<Result<TokenStatus>> {
    if (!this.#deps.repo.get(id)) return fail(notFound())
    const outcome = await this.scheduler.renew(id, 'manual')
    const status = this.scheduler.status(id) ?? notConnected(id, this.#deps.clock.now())
    return outcome.ok || status.state !== 'idle' ? ok(status) : fail(outcome.error)
  }

  /** Answers "Sign-in needed": gets a token with the password the user typed, keeps it if asked to. */
  async signIn(id: string, password: string, remember: boolean): Promise<Result<TokenStatus>> {
    const { repo, clock } = this.#deps
    const record = repo.get(id)
    if (!record) return fail(notFound())
    if (record.auth.type !== 'oauth2-password') {
      return fail(appError('validation', 'no-oauth', 'This datasource does not use OAuth2 - Password.'))
    }
    const auth = record.auth
    let clientSecret: Secret | null = null
    try {
      if (auth.hasClientSecret) clientSecret = await this.#readSecret(id, 'client-secret')
    } catch (error) {
      return fail(error instanceof KeychainFailure ? error.appError : keychainAppError(error))
    }
    const typed = new Secret(password)
    const result = await requestPasswordToken(oauthConfig(auth, clientSecret), auth.username, typed, {
      fetch: this.#deps.fetch,
      now: () => clock.now(),
    })
    if (!result.ok) return result
    try {
      await this.#storeIssuedToken(id, result.value, null)
      if (remember) await this.#deps.secrets.set(secretAccount(id, 'password'), typed)
      else await this.#deps.secrets.delete(secretAccount(id, 'password'))
    } catch (error) {
      return fail(keychainAppError(error))
    }
    repo.setHasPassword(id, remember, remember, clock.now())
    this.#history(id, { kind: 'obtained', message: 'Signed in with the password you entered.', grant: 'password' })
    this.scheduler.setToken(id, result.value.meta)
    return ok(this.scheduler.status(id) ?? notConnected(id, clock.now()))
  }

  /** Removes keychain entries that no datasource owns (left by a crash between keychain and SQLite). */
  async sweepOrphanSecrets(): Promise<number> {
    const owned = new Set(this.#deps.repo.ids())
    let removed = 0
    for (const account of await this.#deps.secrets.accounts()) {
      const parsed = parseSecretAccount(account)
      if (parsed && !owned.has(parsed.datasourceId) && (await this.#deps.secrets.delete(account))) removed++
    }
    return removed
  }

  dispose(): void {
    for (const controller of this.#runningTests.values()) controller.abort()
    this.#runningTests.clear()
    this.#pendingTokens.clear()
    this.scheduler.dispose()
  }

  /**
   * Renewal is single-flight across processes too: the app and the CLI share the database, and with
   * a server that rotates refresh tokens two refreshes with the same token would kill it. Whoever
   * holds the lease renews; the other waits and then uses the token the holder stored.
   */
  async #performRenewal(id: string, reason: RenewalReason): Promise<RenewalOutcome> {
    const { repo } = this.#deps
    const before = repo.token(id)
    const renewedElsewhere = (): TokenMeta | null => {
      const current = repo.token(id)
      return current && (!before || current.obtainedAt > before.obtainedAt) ? current : null
    }
    const waitUntil = Date.now() + LEASE_TTL_MS + 5_000
    while (!repo.tryAcquireLease(id, this.#leaseHolder, Date.now(), LEASE_TTL_MS, leaseHolderGone)) {
      if (Date.now() > waitUntil) {
        return { ok: false, error: appError('storage', 'lease-busy', 'Another Datasource Desk process is renewing this token.', { transient: true }) }
      }
      await sleep(LEASE_POLL_MS)
      const token = renewedElsewhere()
      if (token) return { ok: true, token }
    }
    try {
      const token = renewedElsewhere()
      if (token) return { ok: true, token }
      return await this.#renewWithGrants(id, reason)
    } finally {
      repo.releaseLease(id, this.#leaseHolder)
    }
  }

  async #renewWithGrants(id: string, reason: RenewalReason): Promise<RenewalOutcome> {
    const { repo, clock, logger } = this.#deps
    const record = repo.get(id)
    if (!record) return { ok: false, error: notFound() }
    if (record.auth.type !== 'oauth2-password') {
      return { ok: false, error: appError('validation', 'no-oauth', 'This datasource has no token to renew.') }
    }
    const auth = record.auth
    const options = { fetch: this.#deps.fetch, now: () => clock.now() }
    try {
      const clientSecret = auth.hasClientSecret ? await this.#readSecret(id, 'client-secret') : null
      const config = oauthConfig(auth, clientSecret)
      const current = repo.token(id)
      let refreshFailure: AppError | null = null

      const refreshToken = current?.hasRefreshToken ? await this.#deps.secrets.get(secretAccount(id, 'refresh-token')) : null
      if (refreshToken) {
        const refreshed = await requestRefreshedToken(config, refreshToken, options)
        if (refreshed.ok) {
          await this.#storeIssuedToken(id, refreshed.value, refreshToken)
          this.#history(id, { kind: 'renewed', message: `Renewed with the refresh token (${reason}).`, grant: 'refresh_token' })
          return { ok: true, token: repo.token(id) ?? refreshed.value.meta }
        }
        // A dead refresh token falls back to the password (refreshTokenIsDead says how servers say it).
        if (!refreshTokenIsDead(refreshed.error)) return { ok: false, error: refreshed.error }
        refreshFailure = refreshed.error
        logger.info('refresh token rejected; falling back to the password grant', { datasourceId: id, code: refreshed.error.code })
      }

      if (!auth.hasPassword) {
        return {
          ok: false,
          signInNeeded: true,
          error: signInNeededError(refreshFailure),
        }
      }
      const password = await this.#readSecret(id, 'password')
      const issued = await requestPasswordToken(config, auth.username, password, options)
      if (!issued.ok) return { ok: false, error: issued.error }
      await this.#storeIssuedToken(id, issued.value, null)
      this.#history(id, { kind: 'renewed', message: `Renewed with the password grant (${reason}).`, grant: 'password' })
      return { ok: true, token: repo.token(id) ?? issued.value.meta }
    } catch (error) {
      if (error instanceof KeychainFailure) return { ok: false, error: error.appError }
      if (error instanceof KeychainError) return { ok: false, error: { ...keychainAppError(error), transient: true } }
      // Anything else came from SQLite (storing the token metadata); the keychain already has the new token.
      logger.error('token metadata not stored', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      return { ok: false, error: storageError('The new token could not be stored in the database; it will be retried.', true) }
    }
  }

  /** Keychain first, then SQLite: a crash in between leaves a newer secret with older metadata. */
  async #storeIssuedToken(id: string, issued: IssuedToken, previousRefreshToken: Secret | null): Promise<void> {
    const { secrets, repo } = this.#deps
    await secrets.set(secretAccount(id, 'access-token'), issued.accessToken)
    // RFC 6749 6: a refresh response without a new refresh token means the old one stays valid.
    const refreshToken = issued.refreshToken ?? previousRefreshToken
    if (issued.refreshToken) await secrets.set(secretAccount(id, 'refresh-token'), issued.refreshToken)
    else if (!previousRefreshToken) await secrets.delete(secretAccount(id, 'refresh-token'))
    if (!repo.get(id)) return
    repo.saveToken(id, { ...issued.meta, hasRefreshToken: refreshToken !== null })
  }

  async #resolveSecrets(form: OAuth2PasswordInput, existing: DatasourceRecord | undefined): Promise<ResolvedSecrets> {
    const stored = existing?.auth.type === 'oauth2-password' ? existing.auth : null
    const resolve = async (input: SecretInput, kind: SecretKind, hasStored: boolean): Promise<Secret | null> => {
      if (input.action === 'set') return input.value ? new Secret(input.value) : null
      return existing && hasStored ? this.#readSecret(existing.id, kind) : null
    }
    return {
      clientSecret: form.clientAuth === 'none' ? null : await resolve(form.clientSecret, 'client-secret', stored?.hasClientSecret ?? false),
      password: await resolve(form.password, 'password', stored?.hasPassword ?? false),
    }
  }

  async #readSecret(id: string, kind: SecretKind): Promise<Secret> {
    let value: Secret | null
    try {
      value = await this.#deps.secrets.get(secretAccount(id, kind))
    } catch (error) {
      throw new KeychainFailure(keychainAppError(error))
    }
    if (!value) throw new KeychainFailure(missingSecretError(kind))
    return value
  }

  async #applySecretWrites(id: string, writes: ReadonlyMap<SecretKind, Secret | null>): Promise<void> {
    for (const [kind, value] of writes) {
      const account = secretAccount(id, kind)
      if (value && !value.isEmpty) await this.#deps.secrets.set(account, value)
      else await this.#deps.secrets.delete(account)
    }
  }

  #checkApi(url: string, accessToken: Secret | null, signal?: AbortSignal) {
    return checkApi(url, accessToken, { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), ...(signal ? { signal } : {}) })
  }

  #view(record: DatasourceRecord): DatasourceView {
    const status = this.scheduler.status(record.id) ?? { ...notConnected(record.id, this.#deps.clock.now()), token: this.#deps.repo.token(record.id) }
    return { ...record, status }
  }

  #onStatus(status: TokenStatus): void {
    const { repo, logger } = this.#deps
    try {
      if (repo.get(status.datasourceId)) {
        repo.saveRenewalState(status.datasourceId, {
          state: status.state,
          attempt: status.attempt,
          nextAttemptAt: status.nextAttemptAt,
          lastError: status.lastError,
          updatedAt: status.updatedAt,
        })
      }
    } catch (error) {
      logger.error('renewal state not stored', { datasourceId: status.datasourceId, error: String(error) })
    }
    this.#emit({ type: 'ipc', name: 'statusChanged', payload: status })
  }

  #onPermanentFailure(id: string, error: AppError, signInNeeded: boolean): void {
    const record = this.#deps.repo.get(id)
    if (!record) return
    this.#history(id, {
      kind: signInNeeded ? 'sign-in-needed' : 'action-needed',
      message: signInNeeded ? 'Sign-in needed: enter the password.' : `Renewal stopped: ${error.message}`,
      error,
    })
    this.#emit({
      type: 'notification',
      datasourceId: id,
      title: signInNeeded ? `${record.name}: sign-in needed` : `${record.name}: action needed`,
      body: error.hint ? `${error.message} ${error.hint}` : error.message,
    })
  }

  #history(id: string, event: Omit<NewHistoryEvent, 'at'>): void {
    this.#deps.logger.info(event.message, { datasourceId: id, kind: event.kind, grant: event.grant, attempt: event.attempt, code: event.error?.code })
    try {
      if (this.#deps.repo.get(id)) this.#deps.repo.addHistory(id, { ...event, at: this.#deps.clock.now() })
    } catch (error) {
      this.#deps.logger.error('history event not stored', { datasourceId: id, error: String(error) })
    }
  }

  #emit(event: CoreEvent): void {
    try {
      this.#deps.notify(event)
    } catch (error) {
      this.#deps.logger.error('event listener failed', { error: String(error) })
    }
  }

  #dropStalePending(): void {
    const now = this.#deps.clock.now()
    for (const [testId, pending] of this.#pendingTokens) {
      if (now - pending.createdAt > PENDING_TOKEN_TTL_MS || this.#pendingTokens.size > MAX_PENDING_TOKENS) this.#pendingTokens.delete(testId)
    }
  }
}

/**
 * True when the process that holds a lease no longer exists (killed or crashed while renewing),
 * whose lease would otherwise block renewal for up to LEASE_TTL_MS. A holder without a pid, this
 * process, and a process we may not signal (EPERM: it exists) all count as alive. A holder in
 * another PID namespace (a sandboxed CLI) looks gone; the cost is one extra renewal, not a loss.
 */
function leaseHolderGone(holder: string): boolean {
  const pid = Number(/^(\d+):/.exec(holder)?.[1])
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Renewal needs the user: the GUI's words name its Sign in prompt, the CLI's name the command. */
function signInNeededError(refreshFailure: AppError | null): AppError {
  const message = refreshFailure
    ? `The refresh token is no longer accepted (${refreshFailure.code}), and no password is stored.`
    : 'No password is stored for automatic renewal.'
  return appError('oauth', 'sign-in-needed', message, {
    hint: 'Entering the password again fixes this: use Sign in to get a new token; nothing else needs to change.',
    cliHint: 'Entering the password again fixes this: run "datasource-desk edit <name> --password-prompt" (or --password-stdin) to get a new token.',
  })
}

function storageError(message: string, transient = false): AppError {
  return appError('storage', 'write-failed', message, {
    hint: 'Check that the disk is not full and the data folder is writable, then try again.',
    ...(transient ? { transient } : {}),
  })
}

function notFound(): AppError {
  return appError('not-found', 'datasource-not-found', 'This datasource no longer exists.', { hint: 'Go back to the list; it may have been deleted.' })
}

function oauthConfig(auth: OAuth2PasswordInput | OAuthRecord, clientSecret: Secret | null): OAuthClientConfig {
  return {
    tokenUrl: auth.tokenUrl,
    clientId: auth.clientId,
    clientSecret,
    clientAuth: auth.clientAuth,
    scope: auth.scope,
    extraParams: auth.extraParams,
  }
}

function scopeDiffers(token: TokenMeta): boolean {
  if (token.grantedScope === null) return false
  const words = (scope: string) => [...new Set(scope.split(' ').filter(Boolean))].sort().join(' ')
  return words(token.grantedScope) !== words(token.requestedScope)
}

/**
 * True when the form changes nothing that the stored token depends on: same token-relevant fields
 * and no newly typed secret (OAUTH-NOTES: invalidate the token when the URL, client, user, scope or
 * a secret changes).
 */
function isUnchanged(existing: DatasourceRecord, input: DatasourceInput): boolean {
  const before = existing.auth
  const after = input.auth
  if (before.type !== after.type) return false
  if (before.type === 'none' || after.type === 'none') return true
  return (
    before.tokenUrl === after.tokenUrl &&
    before.clientId === after.clientId &&
    before.clientAuth === after.clientAuth &&
    before.username === after.username &&
    before.scope === after.scope &&
    JSON.stringify(before.extraParams) === JSON.stringify(after.extraParams) &&
    after.clientSecret.action === 'keep' &&
    after.password.action === 'keep'
  )
}

/** Decides the keychain write for one secret; returns whether the secret is stored afterwards. */
function planSecret(writes: Map<SecretKind, Secret | null>, kind: SecretKind, input: SecretInput, storedBefore: boolean): boolean {
  if (input.action === 'keep') return storedBefore
  if (input.value) {
    writes.set(kind, new Secret(input.value))
    return true
  }
  if (storedBefore) writes.set(kind, null)
  return false
}

/** Identifies the exact settings and secrets a test token was obtained with; kept in memory only. */
function fingerprint(auth: OAuth2PasswordInput, secrets: ResolvedSecrets): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        auth.tokenUrl,
        auth.clientId,
        auth.clientAuth,
        auth.username,
        auth.scope,
        auth.extraParams,
        secrets.clientSecret?.reveal() ?? null,
        secrets.password?.reveal() ?? null,
      ]),
    )
    .digest('hex')
}
