import type { AuthView, DatasourceInput, DatasourceView, DiscoveredServer, SecretInput } from '../../shared/datasource'
import { appError, fail, noOAuth, notFound, ok, storageError, type AppError, type Result } from '../../shared/errors'
import type { AppState } from '../../shared/app-state'
import { newDatasourceId, type DatasourceId } from '../../shared/ids'
import type { ClientAuthNegotiation, TestReport } from '../../shared/connection-test'
import type { DeleteReport } from '../../shared/delete-report'
import type { HistoryEvent } from '../../shared/history'
import { notConnected, type TokenStatus } from '../../shared/token'
import { statusView } from '../../shared/token-status'
import type { DatasourceRecord, DatasourceRepository } from './db/datasource-repository'
import type { Clock, CoreEvent, FetchLike, Logger } from './deps'
import { DatabaseSync } from './database-sync'
import { ConnectionTests, isUnchanged, secretReadError } from './connection-test'
import { HistoryLog } from './history-log'
import type { IssuedToken } from './oauth/token-client'
import { newHolderId } from './process-holder'
import { RenewalScheduler } from './renewal'
import { Renewer, type WriteRefusal } from './renewer'
import { SecretVault } from './secret-vault'
import { TokenRevocation, type PreparedRevocation } from './token-revocation'
import { keychainAppError } from './secrets/keychain-errors'
import { storedSecretsToNewOrigin } from './secrets/origin-guard'
import { Secret } from './secrets/secret'
import { KeychainError, SECRET_KINDS, type SecretKind, type SecretStore } from './secrets/secret-store'

/** What a Save (or one entry of an import) writes, planned before anything is written. */
interface SavePlan {
  readonly id: string
  readonly existing: DatasourceRecord | undefined
  readonly record: DatasourceRecord
  /** Keychain writes: a value to store, or null to delete. */
  readonly writes: Map<SecretKind, Secret | null>
  /** The SQLite writes; run inside the write path's transaction. */
  readonly writeRecord: () => void
  readonly tokenToStore: IssuedToken | null
  readonly dropToken: boolean
}

export interface DatasourceServiceDeps {
  readonly repo: DatasourceRepository
  readonly secrets: SecretStore
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly random: () => number
  readonly logger: Logger
  readonly notify: (event: CoreEvent) => void
  readonly dataDir: string
  /** Old keychain versions are deleted in the background (the app, default); a command leaves them marked. */
  readonly drainReleased?: boolean
}

/**
 * Creating, testing, saving, deleting and renewing datasources. Every write of a secret or token
 * goes through the renewer (renewer.ts): new secrets to new keychain accounts first, then SQLite
 * points to them in the transaction that checks the configuration revision, so a crash in between
 * leaves the old, consistent pair and a token for settings that changed meanwhile is never kept.
 */
export class DatasourceService {
  readonly scheduler: RenewalScheduler
  readonly #deps: DatasourceServiceDeps
  readonly #tests: ConnectionTests
  readonly #history: HistoryLog
  readonly #vault: SecretVault
  readonly #renewer: Renewer
  readonly #revocation: TokenRevocation
  readonly #databaseSync: DatabaseSync
  /** Whether start() loaded every datasource; otherwise (a CLI command) each joins the scheduler when first needed. */
  #loadedAll = false

  constructor(deps: DatasourceServiceDeps) {
    this.#deps = deps
    const holder = newHolderId()
    this.#history = new HistoryLog(deps.repo, deps.clock, deps.logger)
    this.#vault = new SecretVault({
      repo: deps.repo,
      secrets: deps.secrets,
      clock: deps.clock,
      logger: deps.logger,
      holder,
      ...(deps.drainReleased === undefined ? {} : { drainReleased: deps.drainReleased }),
    })
    const revocation = new TokenRevocation({ vault: this.#vault, fetch: deps.fetch, clock: deps.clock, logger: deps.logger, history: this.#history })
    this.#revocation = revocation
    this.#renewer = new Renewer({
      repo: deps.repo,
      vault: this.#vault,
      fetch: deps.fetch,
      clock: deps.clock,
      logger: deps.logger,
      history: this.#history,
      holder,
      onTokenDiscarded: (id, token, config) => revocation.discarded(id, token, config),
    })
    this.scheduler = new RenewalScheduler({
      clock: deps.clock,
      random: deps.random,
      perform: (id, reason) => this.#renewer.renew(id, reason),
      onStatus: (status) => this.#onStatus(status),
      onPermanentFailure: (id, error) => this.#onPermanentFailure(id, error),
      onAttemptFailed: (id, error, attempt) =>
        this.#history.add(id, { kind: 'failed', message: `Renewal failed: ${error.message}`, attempt, error }),
    })
    this.#databaseSync = new DatabaseSync({ repo: deps.repo, scheduler: this.scheduler, clock: deps.clock, emit: (event) => this.#emit(event) })
    this.#tests = new ConnectionTests({
      repo: deps.repo,
      fetch: deps.fetch,
      clock: deps.clock,
      renewUnchanged: (id, reason) => {
        this.#schedule(id)
        return this.scheduler.renew(id, reason, { quiet: true })
      },
      readSecret: (id, kind) => this.#vault.read(id, kind),
      readRequiredSecret: (id, kind) => this.#renewer.readSecret(id, kind),
    })
  }

  /** The keychain account holding a datasource's secret now (for tests and diagnostics). */
  secretAccount(id: string, kind: SecretKind): string | null {
    return this.#vault.account(id, kind)
  }

  /** The current value of a datasource's secret, read as the core reads it (CLI token, tests). */
  readSecret(id: string, kind: SecretKind): Promise<Secret | null> {
    return this.#vault.read(id, kind)
  }

  /** Loads every saved token's state into the scheduler; call once at start. */
  start(): void {
    this.#databaseSync.loadAll()
    this.#loadedAll = true
  }

  /** Re-evaluates every renewal deadline (after sleep/resume or a clock jump). */
  recheck(): void {
    this.scheduler.recheck()
  }

  /**
   * Without start() (a CLI command's core), gives the scheduler this one stored datasource, with
   * its token and renewal state, so that its renewal runs exactly as in the app (single-flight,
   * cross-process lease, status and history).
   */
  #schedule(id: string): void {
    if (this.#loadedAll || this.scheduler.status(id)) return
    this.#databaseSync.loadOne(id)
  }

  /**
   * Brings the scheduler and the window in step with what other processes committed (the core's
   * database follower calls it; database-sync.ts). False while a renewal of ours is in flight.
   */
  syncFromDatabase(): boolean {
    return this.#databaseSync.sync()
  }

  list(): DatasourceView[] {
    return this.#deps.repo.list().map((record) => this.#view(record))
  }

  get(id: DatasourceId): Result<DatasourceView> {
    const record = this.#deps.repo.get(id)
    return record ? ok(this.#view(record)) : fail(notFound())
  }

  history(id: DatasourceId): Result<HistoryEvent[]> {
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

  /** Test connection (connection-test.ts). */
  test(testId: string, input: DatasourceInput): Promise<Result<TestReport>> {
    return this.#tests.test(testId, input)
  }

  /** After invalid_client: one attempt with each other client authentication method (connection-test.ts). */
  tryOtherClientAuth(testId: string, input: DatasourceInput): Promise<Result<ClientAuthNegotiation>> {
    return this.#tests.tryOtherClientAuth(testId, input)
  }

  /** Discovery from an issuer URL (connection-test.ts); the result is kept for Save. */
  discover(issuer: string): Promise<Result<DiscoveredServer>> {
    return this.#tests.discover(issuer)
  }

  cancelTest(testId: string): { cancelled: boolean } {
    return this.#tests.cancel(testId)
  }

  async save(input: DatasourceInput, testId?: string): Promise<Result<DatasourceView>> {
    const { repo, logger } = this.#deps
    const planned = await this.#planSave(input, testId)
    if (!planned.ok) return planned
    const { id, existing, record, writes, writeRecord, tokenToStore, dropToken } = planned.value
    const expectedRevision = existing?.revision ?? null
    const revocation = await this.#prepareDroppedTokenRevocation(planned.value)
    try {
      if (tokenToStore) {
        const stored = await this.#renewer.storeToken(id, expectedRevision, tokenToStore, { secrets: writes, write: writeRecord })
        if (!stored.stored) return fail(changedMeanwhile(stored.reason))
      } else {
        const written = await this.#renewer.write(id, { expectedRevision, secrets: writes, write: writeRecord })
        if (!written.written) return fail(changedMeanwhile(written.reason))
      }
    } catch (error) {
      if (error instanceof KeychainError) return fail(keychainAppError(error))
      logger.error('datasource not stored', { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
      return fail(storageError('The datasource could not be saved to the database.'))
    }
    if (tokenToStore && testId) this.#tests.forget(testId)

    if (tokenToStore || dropToken || !existing || input.auth.type === 'none') {
      this.scheduler.setToken(id, repo.token(id))
    }
    this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [id] } })
    this.#revocation.droppedBySave(id, revocation)
    return ok(this.#view(repo.get(id) ?? record))
  }

  /**
   * Import (issue 11, item 11): the handler checks the whole export file first (datasource-import.ts,
   * with the schemas), then this writes every datasource in one transaction, so a bad entry, a
   * refused keychain or a failed commit changes nothing. Returns the imported datasources in
   * input order.
   */
  /** Saves checked form inputs (new or replacing, with or without secrets) all together or not at all. */
  async importAll(inputs: ReadonlyArray<DatasourceInput>): Promise<Result<DatasourceView[]>> {
    const { repo, logger } = this.#deps
    const names = new Set<string>()
    const plans: SavePlan[] = []
    for (const [index, input] of inputs.entries()) {
      const label = `Datasource ${index + 1} ("${input.name}")`
      if (names.has(input.name.toLowerCase())) return fail(appError('validation', 'import-invalid', `${label}: the name is used twice; nothing was imported.`))
      names.add(input.name.toLowerCase())
      const planned = await this.#planSave(input)
      if (!planned.ok) return fail({ ...planned.error, message: `${label}: ${planned.error.message} Nothing was imported.` })
      plans.push(planned.value)
    }
    const revocations = new Map<string, PreparedRevocation>()
    for (const plan of plans) revocations.set(plan.id, await this.#prepareDroppedTokenRevocation(plan))
    try {
      const written = await this.#renewer.writeAll(
        plans.map((plan) => ({ id: plan.id, plan: { expectedRevision: plan.existing?.revision ?? null, secrets: plan.writes, write: plan.writeRecord } })),
      )
      if (!written.written) {
        const index = plans.findIndex((plan) => plan.id === written.id)
        const error = written.reason === 'exists' ? appError('conflict', 'name-taken', 'A datasource with this name was added meanwhile.') : changedMeanwhile(written.reason)
        return fail({ ...error, message: `Datasource ${index + 1} ("${plans[index]?.record.name ?? ''}"): ${error.message} Nothing was imported.` })
      }
    } catch (error) {
      if (error instanceof KeychainError) return fail({ ...keychainAppError(error), message: `${keychainAppError(error).message} Nothing was imported.` })
      logger.error('import not stored', { error: error instanceof Error ? error.name : typeof error })
      return fail(storageError('The import could not be saved to the database; nothing was imported.'))
    }
    for (const plan of plans) {
      if (plan.dropToken || !plan.existing || plan.record.auth.type === 'none') this.scheduler.setToken(plan.id, repo.token(plan.id))
    }
    // An empty import changed nothing, so the window has nothing to reload.
    if (plans.length > 0) this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: plans.map((plan) => plan.id) } })
    for (const [id, revocation] of revocations) this.#revocation.droppedBySave(id, revocation)
    return ok(plans.map((plan) => this.#view(repo.get(plan.id) ?? plan.record)))
  }

  /** These datasources (all when `ids` is absent), in list order: what an export writes. */
  records(ids?: ReadonlyArray<DatasourceId>): Result<DatasourceRecord[]> {
    const records = this.#deps.repo.list()
    if (!ids) return ok(records)
    const wanted = records.filter((record) => ids.includes(record.id))
    return wanted.length === new Set(ids).size ? ok(wanted) : fail(notFound())
  }

  findByName(name: string): DatasourceRecord | undefined {
    const id = this.#deps.repo.idByName(name)
    return id === undefined ? undefined : this.#deps.repo.get(id)
  }

  /**
   * A token the plan drops (Save or import replacing a datasource) is revoked at the server it came
   * from, the previous settings, with what is read now: after the write its keychain entries are
   * released. Null when nothing is dropped (droppedBySave then does nothing).
   */
  #prepareDroppedTokenRevocation(plan: SavePlan): Promise<PreparedRevocation> {
    if (!plan.existing || !plan.dropToken) return Promise.resolve(null)
    return this.#revocation.prepare(plan.existing, this.#deps.repo.token(plan.id) !== null)
  }

  /** What a Save of this input would write: checked against the stored state, nothing written yet. */
  async #planSave(input: DatasourceInput, testId?: string): Promise<Result<SavePlan>> {
    const { repo, clock } = this.#deps
    const now = clock.now()
    const existing = input.id ? repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    const movedSecrets = storedSecretsToNewOrigin(existing, input)
    if (movedSecrets) return fail(movedSecrets)
    const clash = repo.idByName(input.name)
    if (clash && clash !== input.id) {
      return fail(appError('conflict', 'name-taken', `A datasource named "${input.name}" already exists.`, {
        hint: 'Choose another name.',
        fieldIssues: [{ path: 'name', message: 'This name is already used' }],
      }))
    }
    const id = existing?.id ?? newDatasourceId()
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
        ...(form.issuer ? { issuer: form.issuer } : {}),
        ...(form.preset && form.preset !== 'other' ? { preset: form.preset } : {}),
      }
      if (form.issuer) {
        const discovery = (await this.#tests.discoveryFor(form.issuer)) ?? (previousAuth?.issuer === form.issuer ? previousAuth.discovery : null)
        if (discovery && discovery.tokenEndpoint === form.tokenUrl) auth = { ...auth, discovery }
      }
      try {
        tokenToStore = testId ? await this.#tests.tokenForSave(testId, form, existing) : null
      } catch (error) {
        return fail(secretReadError(error))
      }
    }

    const dropToken = configChanged && previousAuth !== null
    if (!tokenToStore && dropToken) {
      // Only a datasource that had OAuth can have tokens in the keychain: a new or unchanged
      // "none" datasource makes no keychain call, so it saves even while the keychain is down.
      writes.set('access-token', null)
      writes.set('refresh-token', null)
    }

    const record: DatasourceRecord = {
      id,
      name: input.name,
      url: input.url,
      auth,
      // Only changes that the token depends on make a new revision; a rename keeps the token valid.
      revision: !existing ? 1 : configChanged ? existing.revision + 1 : existing.revision,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    }
    const writeRecord = (): void => {
      repo.save(record)
      if (!tokenToStore && (dropToken || input.auth.type === 'none')) repo.deleteToken(id)
      if (existing && configChanged) {
        this.#history.add(id, { kind: 'config-changed', message: dropToken && !tokenToStore ? 'Settings changed; the stored token was dropped.' : 'Settings changed.' })
      }
      if (tokenToStore) this.#history.add(id, { kind: 'obtained', message: 'Token from Test connection saved.', grant: 'password' })
    }
    return ok({ id, existing, record, writes, writeRecord, tokenToStore, dropToken })
  }

  async delete(id: DatasourceId): Promise<Result<DeleteReport>> {
    const { repo } = this.#deps
    const record = repo.get(id)
    if (!record) return fail(notFound())
    this.scheduler.remove(id)
    // Read before the entries go; sent after the delete, so the server never holds it up.
    const revocation = await this.#revocation.prepare(record, repo.token(id) !== null)
    // The row goes with its pointers in one step: a renewal still in flight then finds the
    // datasource gone at its revision check and takes back what it staged (no orphan writes).
    // A token bundle other datasources still point to stays for them (released with its last pointer).
    const { owned, released } = repo.transaction(() => {
      const accounts = repo.secretAccounts(id)
      repo.delete(id)
      return { owned: accounts, released: this.#vault.markForRelease(accounts.values()) }
    })
    // Reported, never silently left: `remove` must not say "Removed" over them (issue 11, item 2).
    const notDeleted = new Set(await this.#vault.release(released))
    const secretsLeft = [...owned].filter(([, account]) => notDeleted.has(account)).map(([kind]) => kind)
    this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [id] } })
    const revoked = await this.#revocation.revoke(revocation)
    return ok({ id, ...(secretsLeft.length > 0 ? { secretsLeft } : {}), ...(revoked ? { revocation: revoked } : {}) })
  }

  /** Forgets the stored token through the one write path (keychain and SQLite together). */
  async clearToken(id: DatasourceId): Promise<Result<TokenStatus>> {
    const { repo } = this.#deps
    if (!repo.get(id)) return fail(notFound())
    try {
      const written = await this.#renewer.write(id, {
        expectedRevision: repo.revision(id) ?? null,
        secrets: new Map<SecretKind, Secret | null>([
          ['access-token', null],
          ['refresh-token', null],
        ]),
        write: () => repo.deleteToken(id),
      })
      if (!written.written) return fail(notFound())
    } catch (error) {
      return fail(keychainAppError(error))
    }
    this.scheduler.setToken(id, null)
    this.#history.add(id, { kind: 'config-changed', message: 'Token cleared.' })
    this.#emit({ type: 'ipc', name: 'datasourcesChanged', payload: { ids: [id] } })
    return ok(this.scheduler.status(id) ?? notConnected(id, this.#deps.clock.now()))
  }

  /** The window's Renew now: a failure that leaves a retry scheduled answers with that status. */
  async renewNow(id: DatasourceId): Promise<Result<TokenStatus>> {
    if (!this.#deps.repo.get(id)) return fail(notFound())
    this.#schedule(id)
    const outcome = await this.scheduler.renew(id, 'manual')
    const status = this.scheduler.status(id) ?? notConnected(id, this.#deps.clock.now())
    if (!outcome.ok && outcome.superseded) return fail(outcome.error)
    return outcome.ok || status.state !== 'idle' ? ok(status) : fail(outcome.error)
  }

  /** One manual renewal for a command (`renew`, `token`): any failure is the answer, with the renewal's error. */
  async renew(id: DatasourceId): Promise<Result<TokenStatus>> {
    if (!this.#deps.repo.get(id)) return fail(notFound())
    this.#schedule(id)
    const outcome = await this.scheduler.renew(id, 'manual')
    if (!outcome.ok) return fail(outcome.error)
    return ok(this.scheduler.status(id) ?? notConnected(id, this.#deps.clock.now()))
  }

  /**
   * `renew` for `token` and `header`: the access token this renewal stored, so the command prints
   * it without reading it back from the keychain; null when another process renewed meanwhile.
   */
  async renewForToken(id: DatasourceId): Promise<Result<Secret | null>> {
    if (!this.#deps.repo.get(id)) return fail(notFound())
    this.#schedule(id)
    const outcome = await this.scheduler.renew(id, 'manual')
    if (!outcome.ok) return fail(outcome.error)
    return ok(outcome.accessToken ?? null)
  }

  /** Answers "Sign-in needed": gets a token with the password the user typed, keeps it if asked to. */
  async signIn(id: DatasourceId, password: string, remember: boolean): Promise<Result<TokenStatus>> {
    const { repo, clock } = this.#deps
    const record = repo.get(id)
    if (!record) return fail(notFound())
    if (record.auth.type !== 'oauth2-password') {
      return fail(noOAuth())
    }
    // Through the scheduler, so that it waits for a renewal in flight instead of racing it.
    const typed = new Secret(password)
    const perform = () => this.#renewer.signIn(id, typed, remember)
    const outcome = this.scheduler.status(id) ? await this.scheduler.renew(id, 'sign-in', { quiet: true, perform }) : await perform()
    if (!outcome.ok) return fail(outcome.error)
    if (!this.scheduler.status(id)) this.scheduler.setToken(id, outcome.token)
    return ok(this.scheduler.status(id) ?? notConnected(id, clock.now()))
  }

  /** Removes this database's keychain entries that no datasource owns (left by a crash or a killed command). */
  sweepOrphanSecrets(): Promise<number> {
    return this.#vault.sweep()
  }

  /** When the orphan sweep last completed (null: never). */
  lastOrphanSweepAt(): number | null {
    return this.#vault.lastSweepAt()
  }

  /** Whether a process died with a keychain write in progress (then the sweep runs). */
  hasAbandonedSecretWrites(): boolean {
    return this.#vault.hasAbandonedWrites()
  }

  /** Resolves once background revocations (of discarded tokens) have ended; a command waits for it. */
  revocationsSettled(): Promise<void> {
    return this.#revocation.settled()
  }

  /**
   * The cheap part of the sweep, for commands: deletes the entries SQLite records as abandoned
   * (a killed `add`, a delete the keychain refused, the old versions a command's renewal released)
   * without listing the keychain; at most `limit` of them when given.
   */
  cleanUpAbandonedSecrets(limit?: number): Promise<number> {
    return this.#vault.cleanUp(undefined, limit)
  }

  /** Deletes the keychain versions that writes (here or in other processes) released, in the background. */
  drainReleasedSecrets(): Promise<void> {
    return this.#vault.drain()
  }

  dispose(): void {
    this.#tests.dispose()
    this.scheduler.dispose()
    // A delete in flight may still settle; whatever is left stays marked for the next drain.
    this.#vault.stop()
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

  #onPermanentFailure(id: string, error: AppError): void {
    const record = this.#deps.repo.get(id)
    if (!record) return
    const signInNeeded = error.kind === 'sign-in-needed'
    this.#history.add(id, {
      kind: signInNeeded ? 'sign-in-needed' : 'action-needed',
      message: signInNeeded ? 'Sign-in needed: enter the password.' : `Renewal stopped: ${error.message}`,
      error,
    })
    // In the one status mapping's words: what is wrong with renewal, and whether the token still works.
    const now = this.#deps.clock.now()
    const stored: TokenStatus = { ...notConnected(id, now), token: this.#deps.repo.token(id), state: signInNeeded ? 'sign-in-needed' : 'action-needed', lastError: error }
    const view = statusView({ status: stored, authenticated: true, viewer: 'scheduler' }, now)
    this.#emit({
      type: 'notification',
      datasourceId: id,
      title: `${record.name} - ${view.renewalText}`,
      body: [`${view.usabilityText}.`, error.message, error.hint].filter(Boolean).join(' '),
    })
  }

  #emit(event: CoreEvent): void {
    try {
      this.#deps.notify(event)
    } catch (error) {
      this.#deps.logger.error('event listener failed', { error: String(error) })
    }
  }

}

function changedMeanwhile(reason: WriteRefusal): AppError {
  if (reason === 'deleted') return notFound()
  return appError('conflict', 'changed-elsewhere', 'This datasource was changed elsewhere while you edited it; nothing was saved.', {
    hint: 'Open it again to see the current settings, then make your change again.',
  })
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
