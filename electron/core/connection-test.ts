/**
 * Test connection and everything it keeps: the tested token waiting for a Save of the same
 * settings (the pending-token cache), the requests in flight (cancellable by test id) and the
 * discovery results. A test of a saved, unchanged datasource is a renewal (the service's), and a
 * failing one changes nothing stored; any other test writes nothing at all.
 */
import { createHash } from 'node:crypto'
import type { DatasourceInput, DiscoveredServer, OAuth2PasswordInput, SecretInput } from '../../shared/datasource'
import { AppFailure, appError, fail, noOAuth, notFound, ok, type AppError, type Result } from '../../shared/errors'
import type { ApiCheck, ClientAuthNegotiation, TestReport } from '../../shared/connection-test'
import type { TokenMeta } from '../../shared/token'
import type { DatasourceRecord, DatasourceRepository } from './db/datasource-repository'
import type { Clock, FetchLike } from './deps'
import { negotiateClientAuth } from './oauth/client-auth-negotiation'
import { discoverIssuer } from './oauth/discovery'
import { checkApi, requestPasswordToken, type IssuedToken } from './oauth/token-client'
import type { RenewalOutcome } from './renewal'
import { oauthConfig } from './renewer'
import { keychainAppError, missingSecretError } from './secrets/keychain-errors'
import { storedSecretsToNewOrigin } from './secrets/origin-guard'
import { Secret } from './secrets/secret'
import type { SecretKind } from './secrets/secret-store'

/** A token fetched by Test connection, kept in memory until Save stores it (or it goes stale). */
interface PendingToken {
  readonly fingerprint: string
  /** The revision of the datasource the test ran against (null: not saved yet). */
  readonly revision: number | null
  readonly issued: IssuedToken
  readonly createdAt: number
}

/** The token of a test is only stored by a Save within this time. */
const PENDING_TOKEN_TTL_MS = 15 * 60_000
const MAX_PENDING_TOKENS = 50

/** Secrets as the user means them after the form: resolved from the input or the keychain. */
interface ResolvedSecrets {
  readonly clientSecret: Secret | null
  readonly password: Secret | null
}

export interface ConnectionTestsDeps {
  readonly repo: DatasourceRepository
  readonly fetch: FetchLike
  readonly clock: Clock
  /**
   * A quiet renewal of a saved datasource through the renewer (single-flight with the scheduler's;
   * a failure stores nothing): for the test itself, and once more after the API answered 401.
   */
  readonly renewUnchanged: (id: string, reason: 'test' | 'api-401') => Promise<RenewalOutcome>
  /** A stored secret, or null when there is none. */
  readonly readSecret: (id: string, kind: SecretKind) => Promise<Secret | null>
  /** A stored secret that must be there; rejects with an AppFailure (secret-missing) or a KeychainError. */
  readonly readRequiredSecret: (id: string, kind: SecretKind) => Promise<Secret>
}

export class ConnectionTests {
  readonly #deps: ConnectionTestsDeps
  readonly #pendingTokens = new Map<string, PendingToken>()
  readonly #runningTests = new Map<string, AbortController>()
  /** Discovery results by issuer URL as typed; Save takes the metadata from here. */
  readonly #discoveries = new Map<string, DiscoveredServer>()

  constructor(deps: ConnectionTestsDeps) {
    this.#deps = deps
  }

  /**
   * Test connection: gets a token with what the form holds. For a saved datasource whose settings
   * and secrets are unchanged this is a renewal, so it joins one already running (single-flight).
   */
  async test(testId: string, input: DatasourceInput): Promise<Result<TestReport>> {
    this.#dropStale()
    const existing = input.id ? this.#deps.repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    const movedSecrets = storedSecretsToNewOrigin(existing, input)
    if (movedSecrets) return fail(movedSecrets)
    if (input.auth.type === 'none') {
      const apiCheck = input.url ? await this.#checkApi(input.url, null) : null
      return ok({ testId, token: null, scopeDiffers: false, apiCheck })
    }
    const auth = input.auth

    if (existing && isUnchanged(existing, input)) {
      // A renewal, but a failing one changes nothing: the user sees it on the form, not as a status.
      const outcome = await this.#deps.renewUnchanged(existing.id, 'test')
      if (!outcome.ok) return fail(outcome.error)
      const storedToken = async (): Promise<Secret | null> => this.#deps.readSecret(existing.id, 'access-token').catch(() => null)
      const accessToken = input.url ? await storedToken() : null
      if (!input.url || !accessToken) return ok({ testId, token: outcome.token, scopeDiffers: scopeDiffers(outcome.token), apiCheck: null })
      // A 401 renews once more through the renewer's write path (so the new token is stored), then asks again.
      const checked = await this.#checkApiRenewingOn401(input.url, accessToken, async () => {
        const again = await this.#deps.renewUnchanged(existing.id, 'api-401')
        if (!again.ok) return fail(again.error)
        const renewed = await storedToken()
        return renewed ? ok({ accessToken: renewed, meta: again.token }) : fail(missingSecretError('access-token'))
      })
      const token = checked.renewed?.meta ?? outcome.token
      return ok({ testId, token, scopeDiffers: scopeDiffers(token), apiCheck: checked.apiCheck })
    }

    const resolved = await this.#secretsForTest(auth, existing)
    if (!resolved.ok) return resolved
    const { secrets, password } = resolved.value

    return this.#runCancellableTest(testId, async (signal) => {
      const config = oauthConfig(auth, secrets.clientSecret, this.#cachedDiscovery(auth.issuer))
      const obtain = () => requestPasswordToken(config, auth.username, password, { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), signal })
      const result = await obtain()
      if (!result.ok) return result
      return ok(await this.#keepForSave(testId, input.url, fingerprint(auth, secrets), existing, result.value, signal, obtain))
    })
  }

  /**
   * After Test connection met invalid_client: one attempt with each other client authentication
   * method against the same token URL. The accepted method's token is kept for Save under `testId`,
   * for the form switched to that method.
   */
  async tryOtherClientAuth(testId: string, input: DatasourceInput): Promise<Result<ClientAuthNegotiation>> {
    this.#dropStale()
    const existing = input.id ? this.#deps.repo.get(input.id) : undefined
    if (input.id && !existing) return fail(notFound())
    if (input.auth.type === 'none') return fail(noOAuth())
    const auth = input.auth
    const resolved = await this.#secretsForTest(auth, existing)
    if (!resolved.ok) return resolved
    const { secrets, password } = resolved.value
    return this.#runCancellableTest<ClientAuthNegotiation>(testId, async (signal) => {
      const options = { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), signal }
      const found = await negotiateClientAuth(oauthConfig(auth, secrets.clientSecret, this.#cachedDiscovery(auth.issuer)), auth.username, password, options)
      const attempts = found.attempts.map((attempt) => ({ method: attempt.method, ...(attempt.error ? { error: attempt.error } : {}) }))
      if (!found.accepted || !found.issued) return ok({ accepted: null, attempts, report: null })
      const switched = { ...auth, clientAuth: found.accepted }
      const obtain = () => requestPasswordToken(oauthConfig(switched, secrets.clientSecret, this.#cachedDiscovery(auth.issuer)), auth.username, password, options)
      const report = await this.#keepForSave(testId, input.url, fingerprint(switched, secrets), existing, found.issued, signal, obtain)
      return ok({ accepted: found.accepted, attempts, report })
    })
  }

  /** Runs one test request under `testId`, so that cancelTest (or a new test with that id) aborts it. */
  async #runCancellableTest<T>(testId: string, run: (signal: AbortSignal) => Promise<Result<T>>): Promise<Result<T>> {
    const controller = new AbortController()
    this.#runningTests.get(testId)?.abort()
    this.#runningTests.set(testId, controller)
    try {
      return await run(controller.signal)
    } finally {
      if (this.#runningTests.get(testId) === controller) this.#runningTests.delete(testId)
    }
  }

  /**
   * Keeps a tested token for a Save of the same settings, then checks the API with it unless
   * cancelled. When the API answers 401 and `obtain` is given, one fresh token is requested and
   * the API asked again; that token is then the one kept for Save.
   */
  async #keepForSave(
    testId: string,
    url: string | undefined,
    settings: string,
    existing: DatasourceRecord | undefined,
    issued: IssuedToken,
    signal: AbortSignal,
    obtain?: () => Promise<Result<IssuedToken>>,
  ): Promise<TestReport> {
    const keep = (token: IssuedToken): void => {
      this.#pendingTokens.set(testId, { fingerprint: settings, revision: existing?.revision ?? null, issued: token, createdAt: this.#deps.clock.now() })
    }
    keep(issued)
    if (!url || signal.aborted) return { testId, token: issued.meta, scopeDiffers: scopeDiffers(issued.meta), apiCheck: null }
    const renew = obtain
      ? async (): Promise<Result<{ accessToken: Secret; meta: TokenMeta }>> => {
          const fresh = await obtain()
          if (!fresh.ok) return fresh
          keep(fresh.value)
          return ok({ accessToken: fresh.value.accessToken, meta: fresh.value.meta })
        }
      : null
    const checked = await this.#checkApiRenewingOn401(url, issued.accessToken, renew, signal)
    const token = checked.renewed?.meta ?? issued.meta
    return { testId, token, scopeDiffers: scopeDiffers(token), apiCheck: checked.apiCheck }
  }

  /**
   * The API check, and after a 401 (the token looked valid: it was just issued) one new token and
   * one more request (OAUTH-NOTES: "retry once with a fresh token"). Never a loop.
   */
  async #checkApiRenewingOn401(
    url: string,
    accessToken: Secret,
    renew: (() => Promise<Result<{ accessToken: Secret; meta: TokenMeta }>>) | null,
    signal?: AbortSignal,
  ): Promise<{ apiCheck: ApiCheck; renewed?: { meta: TokenMeta } }> {
    const first = await this.#checkApi(url, accessToken, signal)
    if (first.status !== 401 || !renew || signal?.aborted) return { apiCheck: first }
    const fresh = await renew()
    if (!fresh.ok) return { apiCheck: { ...first, retriedAfter401: { renewError: fresh.error } } }
    const second = signal?.aborted ? first : await this.#checkApi(url, fresh.value.accessToken, signal)
    return { apiCheck: { ...second, retriedAfter401: {} }, renewed: { meta: fresh.value.meta } }
  }

  async #secretsForTest(auth: OAuth2PasswordInput, existing: DatasourceRecord | undefined): Promise<Result<{ secrets: ResolvedSecrets; password: Secret }>> {
    let secrets: ResolvedSecrets
    try {
      secrets = await this.#resolveSecrets(auth, existing)
    } catch (error) {
      return fail(secretReadError(error))
    }
    if (!secrets.password || secrets.password.isEmpty) {
      return fail(appError('validation', 'password-required', 'Enter the password to test the connection.', {
        cliHint: 'Pass the password with --password-stdin (in a script) or --password-prompt (on a terminal).',
        fieldIssues: [{ path: 'auth.password', message: 'Password is required' }],
      }))
    }
    return ok({ secrets, password: secrets.password })
  }

  /** Discovery from an issuer URL (the form's Discover button, `add --issuer`); the result is kept for Save. */
  async discover(issuer: string): Promise<Result<DiscoveredServer>> {
    const result = await discoverIssuer(issuer, { fetch: this.#deps.fetch, now: () => this.#deps.clock.now() })
    if (result.ok) {
      if (this.#discoveries.size > MAX_PENDING_TOKENS) this.#discoveries.clear()
      this.#discoveries.set(issuer.trim(), result.value)
    }
    return result
  }

  #cachedDiscovery(issuer: string | undefined): DiscoveredServer | null {
    return issuer ? (this.#discoveries.get(issuer.trim()) ?? null) : null
  }

  /** What Save keeps about the issuer: the metadata discovered in this process, else discovered now. */
  async discoveryFor(issuer: string): Promise<DiscoveredServer | null> {
    const cached = this.#cachedDiscovery(issuer)
    if (cached) return cached
    const found = await this.discover(issuer)
    return found.ok ? found.value : null
  }

  cancel(testId: string): { cancelled: boolean } {
    const controller = this.#runningTests.get(testId)
    controller?.abort()
    this.#runningTests.delete(testId)
    return { cancelled: controller !== undefined }
  }

  async #resolveSecrets(form: OAuth2PasswordInput, existing: DatasourceRecord | undefined): Promise<ResolvedSecrets> {
    const stored = existing?.auth.type === 'oauth2-password' ? existing.auth : null
    const resolve = async (input: SecretInput, kind: SecretKind, hasStored: boolean): Promise<Secret | null> => {
      if (input.action === 'set') return input.value ? new Secret(input.value) : null
      return existing && hasStored ? this.#deps.readRequiredSecret(existing.id, kind) : null
    }
    return {
      clientSecret: form.clientAuth === 'none' ? null : await resolve(form.clientSecret, 'client-secret', stored?.hasClientSecret ?? false),
      password: await resolve(form.password, 'password', stored?.hasPassword ?? false),
    }
  }

  #checkApi(url: string, accessToken: Secret | null, signal?: AbortSignal) {
    return checkApi(url, accessToken, { fetch: this.#deps.fetch, now: () => this.#deps.clock.now(), ...(signal ? { signal } : {}) })
  }

  #dropStale(): void {
    const now = this.#deps.clock.now()
    for (const [testId, pending] of this.#pendingTokens) {
      if (now - pending.createdAt > PENDING_TOKEN_TTL_MS || this.#pendingTokens.size > MAX_PENDING_TOKENS) this.#pendingTokens.delete(testId)
    }
  }

  /**
   * The token a test under `testId` obtained, if a Save of this form may store it: tested against
   * the datasource's current revision with exactly these settings and secrets. Rejects when a
   * stored secret cannot be read (AppFailure, KeychainError).
   */
  async tokenForSave(testId: string, form: OAuth2PasswordInput, existing: DatasourceRecord | undefined): Promise<IssuedToken | null> {
    this.#dropStale()
    const pending = this.#pendingTokens.get(testId)
    // A token tested against an older revision of this datasource belongs to settings that are gone.
    if (!pending || pending.revision !== (existing?.revision ?? null)) return null
    const secrets = await this.#resolveSecrets(form, existing)
    return pending.fingerprint === fingerprint(form, secrets) ? pending.issued : null
  }

  /** A Save stored the token of this test. */
  forget(testId: string): void {
    this.#pendingTokens.delete(testId)
  }

  dispose(): void {
    for (const controller of this.#runningTests.values()) controller.abort()
    this.#runningTests.clear()
    this.#pendingTokens.clear()
  }
}

/** A secret read for a test or a save failed: the keychain refused, or the entry is missing. */
export function secretReadError(error: unknown): AppError {
  return error instanceof AppFailure ? error.error : keychainAppError(error)
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
export function isUnchanged(existing: DatasourceRecord, input: DatasourceInput): boolean {
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
