/**
 * The interop matrix: every scenario run against one authorization server with the real core (a
 * temp data directory, the real keychain, Node's fetch) and the built CLI (which sends its requests
 * with Node's http client, electron/core/node-http-request.ts). Each cell asserts what the app
 * should report there, and records what it did report into
 * test-results/interop/<server>.json; scripts/interop-table.mjs renders those into
 * docs/interop-matrix.md.
 *
 * A cell that fails today because of a known bug says so with `knownIssue` (naming the bug): its
 * assertion is still the correct behaviour, the table shows the cell as a known failure, and the
 * test fails as soon as the cell passes, so that the marker is removed then and cannot rot.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarSecretStore } from '../../../electron/core/secrets/keytar-secret-store'
import type { ClientAuthMethod, DatasourceInput, OAuth2PasswordInput } from '../../../shared/datasource'
import type { AppError } from '../../../shared/errors'
import { PRESETS } from '../../../shared/presets'
import type { TokenStatus } from '../../../shared/token'
import { ensureCliBuilt, repoRoot, runCli, type CliResult } from '../cli-runner'
import { startCoreHarness, type CoreHarness } from '../core-harness'
import { requireKeyringSession } from '../keyring-session'
import { passwordFormFor } from '../password-form'
import { storedSecret as readStoredSecret } from '../stored-secrets'
import { makeTempDir } from '../temp-dir'
import { startRevokingApi } from './revoking-api'
import {
  ALLOWED_SCOPE,
  DISALLOWED_SCOPE,
  EMAIL_USER,
  PLAIN_CLIENT,
  PLAIN_USER,
  SPECIAL_CLIENT,
  SPECIAL_USER,
  type InteropClient,
  type InteropServer,
  type InteropUser,
} from './interop-server'

/** The scenarios, in the table's order. `stopped-server` stops the server, so it runs last. */
export const SCENARIOS = [
  { id: 'basic', title: 'Basic client auth, plain client id' },
  { id: 'body', title: 'Client credentials in the body' },
  { id: 'special-basic', title: 'Secret and password with `| = + / &` and a space, password with `ü`; Basic' },
  { id: 'special-basic-raw', title: 'The same secret in Basic without encoding (`basic-raw`, for servers that do not decode)' },
  { id: 'special-body', title: 'Secret and password with `| = + / &` and a space, password with `ü`; body' },
  { id: 'negotiate', title: 'Refused client auth: Test connection tries the other methods, Save uses the accepted one' },
  { id: 'email-username', title: 'Email address as username' },
  { id: 'scope-plain', title: 'Scope without `openid`' },
  { id: 'scope-openid', title: 'Scope with `openid`' },
  { id: 'discovery', title: 'Discovery from the issuer URL, then `openid` with the id_token validated against it' },
  { id: 'preset-keycloak', title: 'Keycloak preset: its token URL and issuer templates, filled in, are the server\'s; discovery, test and save' },
  { id: 'refresh', title: 'Short-lived token (2 s) renewed by the scheduler with the refresh token' },
  { id: 'rotated-refresh', title: 'Rotated refresh tokens: two renewals in a row' },
  { id: 'revoked-refresh', title: 'Revoked refresh token: falls back to the stored password' },
  { id: 'revoke-on-delete', title: 'Delete revokes the refresh token, then the access token (RFC 7009, endpoint from the metadata); the old refresh token is refused afterwards' },
  { id: 'introspect', title: 'Token details: Check at the server (RFC 7662, endpoint from the metadata) says active and what the server knows; after the token was revoked there, not active' },
  { id: 'renew-on-401', title: 'Test connection: the API answers 401 (the token was revoked after it was issued); one new token, asked again, accepted; Save keeps that token' },
  { id: 'renew-on-401-saved', title: 'The same for a saved datasource: renewed once through the renewer and stored' },
  { id: 'jwt-exp', title: 'No `expires_in`: expiry from the JWT access token\'s `exp`' },
  { id: 'wrong-password', title: 'Wrong password' },
  { id: 'wrong-secret', title: 'Wrong client secret' },
  { id: 'disallowed-scope', title: 'Scope the client may not have' },
  { id: 'wrong-token-url', title: 'Wrong token URL (a path with nothing there)' },
  { id: 'cli-token', title: 'CLI: `add` with secrets on stdin, then `token`' },
  { id: 'cli-try-other-auth', title: 'CLI: `add --try-other-auth` with the refused client auth' },
  { id: 'cli-wrong-password', title: 'CLI: `add` with a wrong password' },
  { id: 'cli-wrong-secret', title: 'CLI: `add` with a wrong client secret; the hint names `--client-auth` values' },
  { id: 'cli-preset-keycloak', title: 'CLI: `add --preset keycloak --issuer <realm URL>`' },
  { id: 'cli-test-401', title: 'CLI: `test` when the API answers 401 once says a new token was obtained and accepted' },
  { id: 'cli-remove-revokes', title: 'CLI: `add --issuer`, then `remove --yes` says what was revoked' },
  { id: 'cli-introspect', title: 'CLI: `add --issuer`, then `introspect --json` says active with the granted scope' },
  { id: 'stopped-server', title: 'Server stopped' },
] as const

/** Why `basic-raw` fails at a server that follows RFC 6749 2.3.1: it decodes `+` as a space. */
export const DECODES_BASIC = 'This server form-decodes Basic credentials, as RFC 6749 2.3.1 says: sent unencoded, `+` becomes a space.'

/** For servers without RFC 8414 / OIDC metadata: discovery must say so, not fail obscurely. */
export const NO_METADATA = 'This server publishes no authorization server metadata; the token URL is typed by hand.'

export type ScenarioId = (typeof SCENARIOS)[number]['id']

/** What the app reports: an error's kind and code, and a CLI run's exit code as kind `exit`. */
export interface ErrorOutcome {
  readonly kind: string
  readonly code?: string
  readonly httpStatus?: number
  /** The hint must match (the words that point the user to the fix). */
  readonly hint?: RegExp
}

export type Expectation =
  | { readonly expect: 'ok'; readonly knownIssue?: string; readonly note?: string }
  | { readonly expect: ErrorOutcome; readonly knownIssue?: string; readonly note?: string }
  | { readonly notApplicable: string }

export type Actual =
  | { readonly ok: true; readonly summary: string }
  | { readonly ok: false; readonly summary: string; readonly error?: ReportedError }

/** An AppError's identifying parts, or a CLI run's exit code as kind `exit`. */
interface ReportedError {
  readonly kind: string
  readonly code: string
  readonly httpStatus?: number
  readonly hint?: string
}

export type CellStatus = 'pass' | 'known-issue' | 'fail' | 'not-applicable'

export interface CellRecord {
  readonly scenario: ScenarioId
  readonly title: string
  readonly status: CellStatus
  readonly expected: string
  readonly actual: string
  readonly knownIssue?: string
  readonly note?: string
}

export interface ServerRecord {
  readonly server: string
  readonly title: string
  readonly cells: ReadonlyArray<CellRecord>
}

export interface MatrixOptions {
  readonly start: () => Promise<InteropServer>
  readonly expectations: Readonly<Record<ScenarioId, Expectation>>
}

export const RESULTS_DIR = join(repoRoot, 'test-results', 'interop')

interface ScenarioContext {
  readonly server: InteropServer
  readonly app: CoreHarness
}

function describeExpected(expectation: Expectation): string {
  if ('notApplicable' in expectation) return 'not applicable'
  if (expectation.expect === 'ok') return 'ok'
  const { hint } = expectation.expect
  return `${describeError(expectation.expect)}${hint ? ` with a hint matching \`${hint.source}\`` : ''}`
}

function describeError(error: { kind: string; code?: string; httpStatus?: number }): string {
  return `${error.kind}${error.code ? `/${error.code}` : ''}${error.httpStatus ? ` (HTTP ${error.httpStatus})` : ''}`
}

function fromError(error: AppError): Actual {
  return { ok: false, summary: describeError(error), error: { kind: error.kind, code: error.code, httpStatus: error.httpStatus, hint: error.hint } }
}

export function satisfies(expectation: Expectation, actual: Actual): boolean {
  if ('notApplicable' in expectation) return true
  if (expectation.expect === 'ok') return actual.ok
  if (actual.ok || !actual.error) return false
  const wanted = expectation.expect
  const got = actual.error
  return (
    got.kind === wanted.kind &&
    (wanted.code === undefined || got.code === wanted.code) &&
    (wanted.httpStatus === undefined || got.httpStatus === wanted.httpStatus) &&
    (wanted.hint === undefined || wanted.hint.test(got.hint ?? ''))
  )
}

interface FormParts {
  readonly client?: InteropClient
  readonly user?: InteropUser
  readonly clientAuth?: ClientAuthMethod
  readonly overrides?: Partial<OAuth2PasswordInput>
}

function form(server: InteropServer, parts: FormParts = {}): DatasourceInput {
  const client = parts.client ?? PLAIN_CLIENT
  const user = parts.user ?? PLAIN_USER
  return passwordFormFor(
    server,
    { clientId: client.id, clientSecret: client.secret, username: user.username, password: user.password },
    { clientAuth: parts.clientAuth ?? 'body', scope: ALLOWED_SCOPE, ...parts.overrides },
    'Interop',
  )
}

/** Test connection, then Save with its token; ok only when the API accepted the new token. */
async function testAndSave(ctx: ScenarioContext, input: DatasourceInput): Promise<{ actual: Actual; id?: string; idToken?: string }> {
  const testId = randomUUID()
  const tested = await ctx.app.core.handlers.testConnection({ testId, input })
  if (!tested.ok) return { actual: fromError(tested.error) }
  const saved = await ctx.app.core.handlers.saveDatasource({ input, testId })
  if (!saved.ok) return { actual: fromError(saved.error) }
  const api = tested.value.apiCheck
  if (api?.status !== 200) return { actual: { ok: false, summary: `token obtained, but the API answered ${api?.status ?? api?.error?.code ?? 'nothing'}` } }
  // An id_token never decides the outcome; the table says what became of it.
  const idToken = tested.value.token?.idToken
  return { actual: { ok: true, summary: idToken && idToken !== 'none' ? `ok (id_token ${idToken})` : 'ok' }, id: saved.value.id, ...(idToken ? { idToken } : {}) }
}

const specialForm = (server: InteropServer, clientAuth: ClientAuthMethod) => form(server, { client: SPECIAL_CLIENT, user: SPECIAL_USER, clientAuth })

/**
 * The Basic variant this server refuses for the special secret: `basic` where Basic is not
 * decoded, `basic-raw` where it is (RFC 6749 2.3.1); null when it takes both.
 */
async function refusedClientAuth(ctx: ScenarioContext): Promise<ClientAuthMethod | null> {
  for (const method of ['basic', 'basic-raw'] as const) {
    const tested = await ctx.app.core.handlers.testConnection({ testId: randomUUID(), input: specialForm(ctx.server, method) })
    if (!tested.ok && tested.error.kind === 'oauth' && tested.error.code === 'invalid_client') return method
  }
  return null
}

async function latestRenewal(ctx: ScenarioContext, id: string): Promise<string | undefined> {
  const history = await ctx.app.core.handlers.getHistory({ id })
  return history.ok ? history.value.find((event) => event.kind === 'renewed')?.grant : undefined
}

async function renewNow(ctx: ScenarioContext, id: string): Promise<{ status: TokenStatus | null; actual?: Actual }> {
  const renewed = await ctx.app.core.handlers.renewNow({ id })
  if (!renewed.ok) return { status: null, actual: fromError(renewed.error) }
  if (renewed.value.lastError) return { status: renewed.value, actual: fromError(renewed.value.lastError) }
  return { status: renewed.value }
}

const storedSecret = async (ctx: ScenarioContext, id: string, kind: 'access-token' | 'refresh-token') =>
  readStoredSecret(ctx.app.dataDir, ctx.app.secretStore, id, kind)

async function apiAccepts(server: InteropServer, token: string | null): Promise<boolean> {
  if (!token) return false
  const response = await fetch(server.apiUrl, { headers: { authorization: `Bearer ${token}` } })
  await response.body?.cancel()
  return response.status === 200
}

/**
 * Waits until a new connection to the stopped server is refused. A keep-alive connection that
 * fetch pooled before the stop can still be handed out once and then reset; what this scenario
 * asks is what a user sees when the server is down, so such leftovers are used up here first.
 */
async function untilRefused(url: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const refused = await fetch(url, { method: 'POST' }).then(
      async (response) => (await response.body?.cancel(), false),
      (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED',
    )
    if (refused) return
    await sleep(50)
  }
  throw new Error(`${url} still accepts connections after the server was stopped`)
}

/** Whether the token endpoint still takes this refresh token (a raw refresh grant, client in the body). */
async function refreshAccepted(server: InteropServer, refreshToken: string | null): Promise<boolean> {
  if (!refreshToken) return false
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret })
  const response = await fetch(server.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  await response.body?.cancel()
  return response.status === 200
}

/** Fills a preset's URL template for a Keycloak-like server: its scheme, host and realm. */
function keycloakTemplates(server: InteropServer): { tokenUrl: string; issuer: string } {
  const match = server.issuer ? /^(https?):\/\/([^/]+)\/realms\/([^/]+)$/.exec(server.issuer) : null
  if (!match) throw new Error(`${server.key} is not laid out like Keycloak; mark the preset scenarios as not applicable`)
  const [, scheme, host, realm] = match
  const fill = (template: string) => template.replace(/^https:/, `${scheme}:`).replace('{host}', host!).replace('{realm}', realm!)
  return { tokenUrl: fill(PRESETS.keycloak.tokenUrlTemplate), issuer: fill(PRESETS.keycloak.issuerTemplate ?? '') }
}

function revocationOf(server: InteropServer): NonNullable<InteropServer['revocation']> {
  if (!server.revocation) throw new Error(`${server.key} has no revocation endpoint; mark the revocation scenarios as not applicable`)
  return server.revocation
}

function introspectionOf(server: InteropServer): NonNullable<InteropServer['introspection']> {
  if (!server.introspection) throw new Error(`${server.key} has no introspection endpoint; mark the introspection scenarios as not applicable`)
  return server.introspection
}

/** Revokes an access token at the server's own RFC 7009 endpoint, as an administrator or another client would. */
async function revokeAtServer(server: InteropServer, accessToken: string): Promise<void> {
  const endpoint = revocationOf(server).endpoint
  const body = new URLSearchParams({ token: accessToken, token_type_hint: 'access_token', client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret })
  const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  await response.body?.cancel()
  if (response.status !== 200) throw new Error(`${server.key} answered ${response.status} to the revocation of the access token`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function cli(args: ReadonlyArray<string>, input: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(args, { input, env })
}

/** Runs the CLI against a data directory and keychain service of its own, removed afterwards. */
async function withCliHome<T>(run: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const home = makeTempDir('dsd-interop-cli-')
  const service = `datasource-desk-test-interop-${randomUUID()}`
  try {
    return await run({ DATASOURCE_DESK_DATA_DIR: home.dir, DATASOURCE_DESK_KEYCHAIN_SERVICE: service })
  } finally {
    const store = createKeytarSecretStore(service)
    for (const account of await store.accounts().catch(() => [])) await store.delete(account).catch(() => false)
    home.cleanup()
  }
}

function cliAddArgs(server: InteropServer, clientAuth: ClientAuthMethod = 'body', client = PLAIN_CLIENT, user = PLAIN_USER): string[] {
  return [
    'add', 'interop',
    '--token-url', server.tokenUrl,
    '--client-id', client.id,
    '--client-auth', clientAuth,
    '--username', user.username,
    '--scope', ALLOWED_SCOPE,
    '--url', server.apiUrl,
    '--client-secret-stdin', '--password-stdin',
  ]
}

/** A CLI run as an outcome: its exit code, and stderr (where its hints go) as the hint. */
function cliActual(result: CliResult): Actual {
  if (result.code === 0) return { ok: true, summary: 'exit 0' }
  return { ok: false, summary: `exit ${result.code}`, error: { kind: 'exit', code: String(result.code), hint: result.stderr } }
}

const RUNNERS: Readonly<Record<ScenarioId, (ctx: ScenarioContext) => Promise<Actual>>> = {
  basic: async (ctx) => (await testAndSave(ctx, form(ctx.server, { clientAuth: 'basic' }))).actual,
  body: async (ctx) => (await testAndSave(ctx, form(ctx.server, { clientAuth: 'body' }))).actual,
  'special-basic': async (ctx) => (await testAndSave(ctx, form(ctx.server, { client: SPECIAL_CLIENT, user: SPECIAL_USER, clientAuth: 'basic' }))).actual,
  'special-basic-raw': async (ctx) =>
    (await testAndSave(ctx, form(ctx.server, { client: SPECIAL_CLIENT, user: SPECIAL_USER, clientAuth: 'basic-raw' }))).actual,
  'special-body': async (ctx) => (await testAndSave(ctx, form(ctx.server, { client: SPECIAL_CLIENT, user: SPECIAL_USER, clientAuth: 'body' }))).actual,
  async negotiate(ctx) {
    const refused = await refusedClientAuth(ctx)
    if (!refused) return { ok: false, summary: 'the server refused no method' }
    const input = specialForm(ctx.server, refused)
    const testId = randomUUID()
    const negotiated = await ctx.app.core.handlers.tryOtherClientAuth({ testId, input })
    if (!negotiated.ok) return fromError(negotiated.error)
    const { accepted, report } = negotiated.value
    if (!accepted || !report) return { ok: false, summary: `${refused} refused, no other method accepted` }
    if (report.apiCheck?.status !== 200) return { ok: false, summary: `${accepted} accepted, but the API answered ${report.apiCheck?.status ?? 'nothing'}` }
    const saved = await ctx.app.core.handlers.saveDatasource({ input: specialForm(ctx.server, accepted), testId })
    if (!saved.ok) return fromError(saved.error)
    return { ok: true, summary: `${refused} refused, ${accepted} accepted` }
  },
  'email-username': async (ctx) => (await testAndSave(ctx, form(ctx.server, { user: EMAIL_USER }))).actual,
  'scope-plain': async (ctx) => (await testAndSave(ctx, form(ctx.server, { overrides: { scope: `${ALLOWED_SCOPE} write` } }))).actual,
  'scope-openid': async (ctx) => (await testAndSave(ctx, form(ctx.server, { overrides: { scope: `openid ${ALLOWED_SCOPE}` } }))).actual,
  async discovery(ctx) {
    const issuer = ctx.server.issuer ?? new URL(ctx.server.tokenUrl).origin
    const found = await ctx.app.core.handlers.discoverIssuer({ issuer })
    if (!found.ok) return fromError(found.error)
    if (found.value.tokenEndpoint !== ctx.server.tokenUrl) return { ok: false, summary: 'discovered a different token URL' }
    const saved = await testAndSave(ctx, form(ctx.server, { overrides: { scope: `openid ${ALLOWED_SCOPE}`, issuer } }))
    if (saved.actual.ok && saved.idToken !== 'validated') return { ok: false, summary: `token obtained, id_token ${saved.idToken ?? 'absent'}` }
    return saved.actual.ok ? { ok: true, summary: `ok (${found.value.source}, id_token validated)` } : saved.actual
  },
  async 'preset-keycloak'(ctx) {
    const { tokenUrl, issuer } = keycloakTemplates(ctx.server)
    if (tokenUrl !== ctx.server.tokenUrl) return { ok: false, summary: `the token URL template gives ${tokenUrl}` }
    const found = await ctx.app.core.handlers.discoverIssuer({ issuer })
    if (!found.ok) return fromError(found.error)
    if (found.value.tokenEndpoint !== tokenUrl) return { ok: false, summary: 'discovery named another token URL than the template' }
    const preset = PRESETS.keycloak
    const saved = await testAndSave(ctx, form(ctx.server, { clientAuth: preset.clientAuth, overrides: { tokenUrl, issuer, preset: 'keycloak', ...(preset.scope ? { scope: preset.scope } : {}) } }))
    return saved.actual.ok ? { ok: true, summary: 'ok (templates match; discovered, tested, saved)' } : saved.actual
  },
  async refresh(ctx) {
    await ctx.server.setAccessTokenLifetime(2)
    try {
      const saved = await testAndSave(ctx, form(ctx.server))
      if (!saved.id) return saved.actual
      const id = saved.id
      const first = await storedSecret(ctx, id, 'access-token')
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (await latestRenewal(ctx, id)) === undefined) await sleep(100)
      const grant = await latestRenewal(ctx, id)
      const status = await ctx.app.core.handlers.getDatasource({ id })
      if (status.ok && status.value.status.lastError) return fromError(status.value.status.lastError)
      if (grant !== 'refresh_token') return { ok: false, summary: grant ? `renewed with the ${grant} grant` : 'not renewed within 10 s' }
      const renewed = await storedSecret(ctx, id, 'access-token')
      if (renewed === first || !(await apiAccepts(ctx.server, renewed))) return { ok: false, summary: 'renewed, but the API refused the new token' }
      return { ok: true, summary: 'ok (refresh_token)' }
    } finally {
      await ctx.server.setAccessTokenLifetime(3600)
    }
  },
  async 'rotated-refresh'(ctx) {
    const saved = await testAndSave(ctx, form(ctx.server))
    if (!saved.id) return saved.actual
    const id = saved.id
    const seen = [await storedSecret(ctx, id, 'refresh-token')]
    for (let round = 0; round < 2; round += 1) {
      const renewed = await renewNow(ctx, id)
      if (renewed.actual) return renewed.actual
      const grant = await latestRenewal(ctx, id)
      if (grant !== 'refresh_token') return { ok: false, summary: `renewal ${round + 1} used the ${grant ?? 'no'} grant` }
      seen.push(await storedSecret(ctx, id, 'refresh-token'))
    }
    if (!(await apiAccepts(ctx.server, await storedSecret(ctx, id, 'access-token')))) return { ok: false, summary: 'the API refused the renewed token' }
    return { ok: true, summary: new Set(seen).size === seen.length ? 'ok (rotated each time)' : 'ok (not rotated)' }
  },
  async 'revoked-refresh'(ctx) {
    const saved = await testAndSave(ctx, form(ctx.server))
    if (!saved.id) return saved.actual
    await ctx.server.revokeRefreshTokens()
    const renewed = await renewNow(ctx, saved.id)
    if (renewed.actual) return renewed.actual
    const grant = await latestRenewal(ctx, saved.id)
    if (grant !== 'password') return { ok: false, summary: `renewed with the ${grant ?? 'no'} grant` }
    if (!(await apiAccepts(ctx.server, await storedSecret(ctx, saved.id, 'access-token')))) return { ok: false, summary: 'the API refused the renewed token' }
    return { ok: true, summary: 'ok (password grant)' }
  },
  async 'revoke-on-delete'(ctx) {
    const revocation = revocationOf(ctx.server)
    const found = await ctx.app.core.handlers.discoverIssuer({ issuer: revocation.issuer })
    if (!found.ok) return fromError(found.error)
    if (!found.value.revocationEndpoint) return { ok: false, summary: 'the metadata names no revocation endpoint' }
    const saved = await testAndSave(ctx, form(ctx.server, { clientAuth: 'basic', overrides: { issuer: revocation.issuer } }))
    if (!saved.id) return saved.actual
    const refreshToken = await storedSecret(ctx, saved.id, 'refresh-token')
    if (!refreshToken || !(await refreshAccepted(ctx.server, refreshToken))) return { ok: false, summary: 'no usable refresh token before the delete' }
    // A fresh pair: the check above spent the stored refresh token at servers that rotate it.
    const renewed = await renewNow(ctx, saved.id)
    if (renewed.actual) return renewed.actual
    const stored = await storedSecret(ctx, saved.id, 'refresh-token')
    const deleted = await ctx.app.core.handlers.deleteDatasource({ id: saved.id })
    if (!deleted.ok) return fromError(deleted.error)
    const report = deleted.value.revocation
    if (!report) return { ok: false, summary: 'deleted, but no revocation was tried' }
    if (report.error) return fromError(report.error)
    if (report.revoked.join(' ') !== 'refresh-token access-token') return { ok: false, summary: `revoked ${report.revoked.join(', ') || 'nothing'}` }
    const stillAccepted = await refreshAccepted(ctx.server, stored)
    if (revocation.revokes) return stillAccepted ? { ok: false, summary: 'both answered 200, but the server still takes the refresh token' } : { ok: true, summary: 'ok (both revoked; the refresh token is refused)' }
    return { ok: true, summary: stillAccepted ? 'ok (both answered 200; the server still takes any refresh token)' : 'ok (both revoked; the refresh token is refused)' }
  },
  async introspect(ctx) {
    const introspection = introspectionOf(ctx.server)
    const found = await ctx.app.core.handlers.discoverIssuer({ issuer: introspection.issuer })
    if (!found.ok) return fromError(found.error)
    if (found.value.introspectionEndpoint !== introspection.endpoint) return { ok: false, summary: `the metadata names ${found.value.introspectionEndpoint ?? 'no introspection endpoint'}` }
    const saved = await testAndSave(ctx, form(ctx.server, { clientAuth: 'basic', overrides: { issuer: introspection.issuer } }))
    if (!saved.id) return saved.actual
    const details = await ctx.app.core.handlers.getTokenDetails({ id: saved.id })
    if (!details.ok) return fromError(details.error)
    if (!details.value.introspection?.sameOrigin) return { ok: false, summary: 'the token details offer no check at the server' }
    const first = await ctx.app.core.handlers.introspectToken({ id: saved.id })
    if (!first.ok) return fromError(first.error)
    const report = first.value
    if (!report.active) return { ok: false, summary: 'the server says a fresh token is not active' }
    if (JSON.stringify(report).includes((await storedSecret(ctx, saved.id, 'access-token')) ?? '\u0000')) return { ok: false, summary: 'the report holds the token' }
    const known = [report.scope !== undefined ? `scope ${report.scope}` : '', report.clientId ? 'client_id' : '', report.username ? 'username' : '', report.exp ? 'exp' : ''].filter(Boolean).join(', ')
    if (report.scope !== undefined && !report.scope.split(' ').includes(ALLOWED_SCOPE)) return { ok: false, summary: `active, but with scope "${report.scope}"` }
    if (!introspection.followsToken) return { ok: true, summary: `ok (active${known ? `: ${known}` : ''}; it says active to any token)` }
    await revokeAtServer(ctx.server, (await storedSecret(ctx, saved.id, 'access-token')) ?? '')
    const second = await ctx.app.core.handlers.introspectToken({ id: saved.id })
    if (!second.ok) return fromError(second.error)
    if (second.value.active) return { ok: false, summary: `active${known ? ` (${known})` : ''}, and still active after the revocation` }
    return { ok: true, summary: `ok (active: ${known || 'no other fields'}; not active after the revocation)` }
  },
  async 'renew-on-401'(ctx) {
    const api = await startRevokingApi(ctx.server)
    try {
      api.revokeNext()
      const input: DatasourceInput = { ...form(ctx.server), url: api.url }
      const testId = randomUUID()
      const tested = await ctx.app.core.handlers.testConnection({ testId, input })
      if (!tested.ok) return fromError(tested.error)
      const check = tested.value.apiCheck
      if (check?.retriedAfter401?.renewError) return fromError(check.retriedAfter401.renewError)
      if (api.statuses.join(' ') !== '401 200' || !check?.retriedAfter401 || check.status !== 200) {
        return { ok: false, summary: `the API answered ${api.statuses.join(', ') || 'nothing'}; retried: ${check?.retriedAfter401 ? 'yes' : 'no'}` }
      }
      const saved = await ctx.app.core.handlers.saveDatasource({ input, testId })
      if (!saved.ok) return fromError(saved.error)
      const stored = await storedSecret(ctx, saved.value.id, 'access-token')
      if (stored !== api.tokensSeen[1]) return { ok: false, summary: 'accepted after a new token, but Save kept another token' }
      return { ok: true, summary: 'ok (401, new token, 200; Save keeps it)' }
    } finally {
      await api.close()
    }
  },
  async 'renew-on-401-saved'(ctx) {
    const api = await startRevokingApi(ctx.server)
    try {
      const input: DatasourceInput = { ...form(ctx.server), url: api.url }
      const saved = await testAndSave(ctx, input)
      if (!saved.id) return saved.actual
      api.revokeNext()
      const kept = { ...input, id: saved.id, auth: { ...(input.auth as OAuth2PasswordInput), clientSecret: { action: 'keep' as const }, password: { action: 'keep' as const } } }
      const tested = await ctx.app.core.handlers.testConnection({ testId: randomUUID(), input: kept })
      if (!tested.ok) return fromError(tested.error)
      const check = tested.value.apiCheck
      if (check?.retriedAfter401?.renewError) return fromError(check.retriedAfter401.renewError)
      if (api.statuses.slice(1).join(' ') !== '401 200' || !check?.retriedAfter401 || check.status !== 200) {
        return { ok: false, summary: `the API answered ${api.statuses.slice(1).join(', ') || 'nothing'}; retried: ${check?.retriedAfter401 ? 'yes' : 'no'}` }
      }
      const history = await ctx.app.core.handlers.getHistory({ id: saved.id })
      const renewal = history.ok ? history.value.find((event) => event.kind === 'renewed')?.message : undefined
      if (!renewal?.includes('(api-401)')) return { ok: false, summary: 'accepted, but no renewal for the 401 in the history' }
      if ((await storedSecret(ctx, saved.id, 'access-token')) !== api.tokensSeen.at(-1)) return { ok: false, summary: 'accepted, but another token is stored' }
      return { ok: true, summary: `ok (401, ${/refresh token/.test(renewal) ? 'refresh_token' : 'password'} renewal stored, 200)` }
    } finally {
      await api.close()
    }
  },
  async 'jwt-exp'(ctx) {
    const jwt = ctx.server.jwtExpiry
    if (!jwt) throw new Error(`${ctx.server.key} has no JWT access tokens; mark jwt-exp as not applicable`)
    jwt.omitExpiresIn(true)
    try {
      const saved = await testAndSave(ctx, form(ctx.server))
      if (!saved.id) return saved.actual
      const view = await ctx.app.core.handlers.getDatasource({ id: saved.id })
      const token = view.ok ? view.value.status.token : null
      const expiresAt = token?.expiresAt ?? null
      const exp = jwt.lastAccessTokenExp()
      if (expiresAt === null) return { ok: false, summary: 'expiry unknown' }
      if (exp === null || Math.abs(expiresAt - exp * 1000) > 1_000) return { ok: false, summary: 'expiry differs from the JWT exp' }
      if (token?.expiresFrom !== 'jwt-exp') return { ok: false, summary: `expiry right, but said to come from ${token?.expiresFrom ?? 'nowhere'}` }
      return { ok: true, summary: 'ok (expiry from exp)' }
    } finally {
      jwt.omitExpiresIn(false)
    }
  },
  'wrong-password': async (ctx) => (await testAndSave(ctx, form(ctx.server, { user: { ...PLAIN_USER, password: 'not-the-password' } }))).actual,
  'wrong-secret': async (ctx) => (await testAndSave(ctx, form(ctx.server, { client: { ...PLAIN_CLIENT, secret: 'not-the-secret' }, clientAuth: 'basic' }))).actual,
  'disallowed-scope': async (ctx) => (await testAndSave(ctx, form(ctx.server, { overrides: { scope: DISALLOWED_SCOPE } }))).actual,
  'wrong-token-url': async (ctx) =>
    (await testAndSave(ctx, form(ctx.server, { overrides: { tokenUrl: new URL('/no-token-endpoint-here', ctx.server.tokenUrl).href } }))).actual,
  'cli-token': (ctx) =>
    withCliHome(async (env) => {
      const added = await cli(cliAddArgs(ctx.server), `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`, env)
      if (added.code !== 0) return cliActual(added)
      const token = await cli(['token', 'interop'], '', env)
      if (token.code !== 0) return cliActual(token)
      if (!(await apiAccepts(ctx.server, token.stdout.trim()))) return { ok: false, summary: 'exit 0, but the API refused the printed token' }
      return { ok: true, summary: 'exit 0, token accepted' }
    }),
  async 'cli-try-other-auth'(ctx) {
    const refused = await refusedClientAuth(ctx)
    if (!refused) return { ok: false, summary: 'the server refused no method' }
    return withCliHome(async (env) => {
      const args = [...cliAddArgs(ctx.server, refused, SPECIAL_CLIENT, SPECIAL_USER), '--try-other-auth']
      const added = await cli(args, `${SPECIAL_CLIENT.secret}\n${SPECIAL_USER.password}\n`, env)
      if (added.code !== 0) return cliActual(added)
      const accepted = /accepts --client-auth (\S+); saving with it/.exec(added.stderr)?.[1]
      if (!accepted) return { ok: false, summary: 'exit 0, but it did not say which method it saved' }
      return { ok: true, summary: `exit 0, saved with --client-auth ${accepted}` }
    })
  },
  'cli-wrong-password': (ctx) => withCliHome(async (env) => cliActual(await cli(cliAddArgs(ctx.server), `${PLAIN_CLIENT.secret}\nnot-the-password\n`, env))),
  'cli-wrong-secret': (ctx) =>
    withCliHome(async (env) => cliActual(await cli(cliAddArgs(ctx.server, 'basic'), `not-the-secret\n${PLAIN_USER.password}\n`, env))),
  'cli-preset-keycloak': (ctx) =>
    withCliHome(async (env) => {
      const { issuer } = keycloakTemplates(ctx.server)
      const args = cliAddArgs(ctx.server).filter((_arg, index, all) => all[index - 1] !== '--token-url' && all[index] !== '--token-url' && all[index - 1] !== '--client-auth' && all[index] !== '--client-auth')
      const added = await cli([...args, '--preset', 'keycloak', '--issuer', issuer], `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`, env)
      if (added.code !== 0) return cliActual(added)
      const token = await cli(['token', 'interop'], '', env)
      if (token.code !== 0 || !(await apiAccepts(ctx.server, token.stdout.trim()))) return { ok: false, summary: `exit ${token.code}, no token the API accepts` }
      return { ok: true, summary: 'exit 0, token accepted' }
    }),
  'cli-test-401': (ctx) =>
    withCliHome(async (env) => {
      const api = await startRevokingApi(ctx.server)
      try {
        const args = cliAddArgs(ctx.server).map((arg) => (arg === ctx.server.apiUrl ? api.url : arg))
        const added = await cli(args, `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`, env)
        if (added.code !== 0) return cliActual(added)
        api.revokeNext()
        const tested = await cli(['test', 'interop'], '', env)
        if (tested.code !== 0) return cliActual(tested)
        const said = 'The API refused the token (401); a new token was obtained and the API accepted it.'
        const noNewToken = /The API refused the token \(401\), and no new token could be obtained: .*HTTP (\d+)/.exec(tested.stdout)
        if (noNewToken) return { ok: false, summary: `exit 0, "no new token could be obtained" (HTTP ${noNewToken[1]})`, error: { kind: 'said', code: 'no-new-token', httpStatus: Number(noNewToken[1]) } }
        if (!tested.stdout.includes(said)) return { ok: false, summary: `exit 0, but it said: ${tested.stdout.trim().split('\n').at(-1) ?? ''}` }
        return { ok: true, summary: `exit 0, "${said}"` }
      } finally {
        await api.close()
      }
    }),
  'cli-remove-revokes': (ctx) =>
    withCliHome(async (env) => {
      const revocation = revocationOf(ctx.server)
      const args = cliAddArgs(ctx.server).filter((_arg, index, all) => all[index - 1] !== '--token-url' && all[index] !== '--token-url')
      const added = await cli([...args, '--issuer', revocation.issuer], `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`, env)
      if (added.code !== 0) return cliActual(added)
      const removed = await cli(['remove', 'interop', '--yes'], '', env)
      if (removed.code !== 0) return cliActual(removed)
      const host = new URL(ctx.server.tokenUrl).host
      const said = `Revoked the refresh token and the access token at ${host}.`
      if (!removed.stdout.includes(said)) return { ok: false, summary: `exit 0, but it said: ${removed.stdout.trim().split('\n').slice(1).join(' ') || 'nothing about revocation'}` }
      return { ok: true, summary: 'exit 0, "Revoked the refresh token and the access token at <host>."' }
    }),
  'cli-introspect': (ctx) =>
    withCliHome(async (env) => {
      const introspection = introspectionOf(ctx.server)
      const args = cliAddArgs(ctx.server).filter((_arg, index, all) => all[index - 1] !== '--token-url' && all[index] !== '--token-url')
      const added = await cli([...args, '--issuer', introspection.issuer], `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`, env)
      if (added.code !== 0) return cliActual(added)
      const asked = await cli(['introspect', 'interop', '--json'], '', env)
      if (asked.code !== 0) return cliActual(asked)
      const report = JSON.parse(asked.stdout) as { active?: unknown; scope?: unknown }
      if (report.active !== true) return { ok: false, summary: `exit 0, active: ${String(report.active)}` }
      if (report.scope === undefined) return { ok: true, summary: 'exit 0, active (no scope said)' }
      return String(report.scope).split(' ').includes(ALLOWED_SCOPE) ? { ok: true, summary: `exit 0, active, scope ${String(report.scope)}` } : { ok: false, summary: `exit 0, active, scope ${String(report.scope)}` }
    }),
  async 'stopped-server'(ctx) {
    await ctx.server.close()
    await untilRefused(ctx.server.tokenUrl)
    return (await testAndSave(ctx, form(ctx.server))).actual
  },
}

/**
 * Registers one test per scenario for one server, started once for all of them. The results are
 * written when the file's tests are done, whatever their outcome.
 */
export function runInteropMatrix(options: MatrixOptions): void {
  let server: InteropServer | undefined
  const cells: CellRecord[] = []
  let title = ''

  describe.sequential('interop matrix', () => {
    beforeAll(async () => {
      requireKeyringSession()
      await ensureCliBuilt()
      server = await options.start()
      title = server.title
    }, 120_000)
    afterAll(async () => {
      await server?.close()
      if (!server) return
      mkdirSync(RESULTS_DIR, { recursive: true })
      const order = SCENARIOS.map((scenario) => scenario.id as string)
      const record: ServerRecord = { server: server.key, title, cells: [...cells].sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario)) }
      writeFileSync(join(RESULTS_DIR, `${server.key}.json`), `${JSON.stringify(record, null, 2)}\n`)
    })

    for (const scenario of SCENARIOS) {
      const expectation = options.expectations[scenario.id]
      if ('notApplicable' in expectation) {
        it(`${scenario.id}: not applicable (${expectation.notApplicable})`, () => {
          cells.push({ scenario: scenario.id, title: scenario.title, status: 'not-applicable', expected: 'not applicable', actual: 'not run', note: expectation.notApplicable })
        })
        continue
      }
      it(`${scenario.id}: ${scenario.title} -> ${describeExpected(expectation)}${expectation.knownIssue ? ` (known issue: ${expectation.knownIssue})` : ''}`, async () => {
        if (!server) throw new Error('the server did not start')
        const app = await startCoreHarness()
        let actual: Actual
        try {
          actual = await RUNNERS[scenario.id]({ server, app })
        } finally {
          await app.dispose()
        }
        const passed = satisfies(expectation, actual)
        const status: CellStatus = passed ? (expectation.knownIssue ? 'fail' : 'pass') : expectation.knownIssue ? 'known-issue' : 'fail'
        cells.push({
          scenario: scenario.id,
          title: scenario.title,
          status,
          expected: describeExpected(expectation),
          actual: actual.summary,
          ...(expectation.knownIssue ? { knownIssue: expectation.knownIssue } : {}),
          ...(expectation.note ? { note: expectation.note } : {}),
        })
        if (expectation.knownIssue) {
          expect(passed, `${server.key} / ${scenario.id} passes now: remove knownIssue "${expectation.knownIssue}"`).toBe(false)
        } else {
          expect(passed, `${server.key} / ${scenario.id}: expected ${describeExpected(expectation)}, got ${actual.summary}${!actual.ok && actual.error?.hint ? ` (hint: ${actual.error.hint})` : ''}`).toBe(true)
        }
      }, 60_000)
    }
  })
}
