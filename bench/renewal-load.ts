/**
 * One measurement of the real core (bench/run.mjs builds this file and runs it once per case, so
 * every case has a fresh process, data folder and keychain service). Prints one JSON line.
 *
 * - `renewal`: N datasources with L-second tokens, renewed by the app's own scheduler against the
 *   real OAuth server (bench/token-server.ts, its own process) with the in-memory secret store or
 *   the real keychain. Tokens are seeded with obtained-at times spread over the renewal window, as
 *   in a running app; after a warm-up of one lifetime (the first renewals use the password grant)
 *   it measures, over the window: datasource-seconds during which a stored token was expired, the
 *   most expired at once, renewals that finished after the old token had expired, and token
 *   requests per lifetime.
 * - `idle`: N scheduled datasources with hour-long fresh tokens; CPU time of the process per
 *   minute while nothing is due.
 * - `keychain`: the real keychain store alone with N items: replacing writes and reads per second,
 *   one call at a time and 3 at once (what renewal throughput is built on).
 * - `margin`: token requests per lifetime of the real scheduler on a simulated clock for short
 *   and long lifetimes (instant renewals), over 20 simulated lifetimes.
 */
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { newDatasourceId } from '../shared/ids'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TokenMeta } from '../shared/token'
import { createCore, DATABASE_FILE } from '../electron/core/core'
import { openDatabase } from '../electron/core/db/connection'
import { DatasourceRepository } from '../electron/core/db/datasource-repository'
import { systemClock, type CoreEvent } from '../electron/core/deps'
import { RenewalScheduler } from '../electron/core/renewal'
import { createKeytarSecretStore } from '../electron/core/secrets/keytar-secret-store'
import { Secret } from '../electron/core/secrets/secret'
import { versionedSecretAccount, type SecretStore } from '../electron/core/secrets/secret-store'
import { FakeClock } from '../tests/support/fake-clock'
import { MemorySecretStore } from '../tests/support/memory-secret-store'
import { PUBLIC_CLIENT, TEST_USER, type ServerCounts } from '../tests/support/oauth-server'

interface LoadCase {
  readonly mode: 'renewal' | 'idle' | 'margin' | 'keychain'
  readonly store?: 'memory' | 'keychain'
  readonly count?: number
  readonly lifetimeSeconds?: number
  readonly windowSeconds?: number
  readonly serverFile?: string
  /** Seeding the secrets stops after this long (the case is then reported as not run). */
  readonly seedBudgetSeconds?: number
  /** `renewal`: tokens spread as in a running app (default), or all expired at start ("cold"). */
  readonly start?: 'running' | 'cold'
  /**
   * `renewal`: the weekly orphan sweep (a listing of every item) falls in the middle of the window.
   * Otherwise the database was swept recently, as on most starts, and the app does not list.
   */
  readonly sweep?: boolean
}

class SeedBudgetExceeded extends Error {}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadCase
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface TokenServer {
  readonly tokenUrl: string
  counts(): Promise<ServerCounts>
  close(): void
}

async function startTokenServer(file: string, lifetimeSeconds: number): Promise<TokenServer> {
  const child = fork(file, [String(lifetimeSeconds)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const tokenUrl = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`token server exited (${code})`)))
    child.once('message', (message) => resolve((message as { tokenUrl: string }).tokenUrl))
  })
  return {
    tokenUrl,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve((message as { counts: ServerCounts }).counts))
        child.send('counts')
      }),
    close: () => child.disconnect(),
  }
}

/**
 * Writes N datasources straight into SQLite (and their passwords into the store), as the app would
 * have them. The tokens are stamped once the passwords are in, with `token(index, now)` at that
 * moment: seeding the keychain takes many seconds, and tokens stamped before it would all have
 * expired by the time the core starts.
 */
async function seed(dataDir: string, secrets: SecretStore, count: number, tokenUrl: string, token: (index: number, now: number) => TokenMeta, budgetMs = Number.POSITIVE_INFINITY): Promise<number> {
  const db = openDatabase(join(dataDir, DATABASE_FILE))
  const repo = new DatasourceRepository(db)
  const now = Date.now()
  const accounts: string[] = []
  const ids: string[] = []
  const databaseId = repo.databaseId()
  repo.transaction(() => {
    for (let index = 0; index < count; index++) {
      const id = newDatasourceId()
      repo.save({
        id,
        name: `ds-${index}`,
        url: '',
        auth: {
          type: 'oauth2-password',
          tokenUrl,
          clientId: PUBLIC_CLIENT.id,
          clientAuth: 'none',
          username: TEST_USER.username,
          rememberPassword: true,
          scope: '',
          extraParams: [],
          hasClientSecret: false,
          hasPassword: true,
        },
        revision: 1,
        createdAt: now,
        updatedAt: now,
      })
      ids.push(id)
      const account = versionedSecretAccount(databaseId, id, 'password', 'seed')
      repo.setSecretAccount(id, 'password', account)
      accounts.push(account)
    }
  })
  const started = performance.now()
  try {
    for (const [index, account] of accounts.entries()) {
      await secrets.set(account, new Secret(TEST_USER.password))
      const elapsed = performance.now() - started
      if (elapsed > budgetMs && index + 1 < count) {
        throw new SeedBudgetExceeded(
          `seeding stopped after ${index + 1} of ${count} passwords in ${Math.round(elapsed / 1000)} s (${Math.round(((index + 1) / elapsed) * 1000)} keychain writes/s, falling as items are added)`,
        )
      }
    }
    const seededMs = performance.now() - started
    const now = Date.now()
    repo.transaction(() => {
      for (const [index, id] of ids.entries()) repo.saveToken(id, token(index, now))
    })
    return seededMs
  } finally {
    db.close()
  }
}

function withRepository(dataDir: string, work: (repo: DatasourceRepository) => void): void {
  const db = openDatabase(join(dataDir, DATABASE_FILE))
  try {
    work(new DatasourceRepository(db))
  } finally {
    db.close()
  }
}

/** Keychain calls by kind during the window: how many, and their mean time (the store measured, not changed). */
class CountingStore implements SecretStore {
  readonly calls = { get: { n: 0, ms: 0 }, set: { n: 0, ms: 0 }, delete: { n: 0, ms: 0 }, list: { n: 0, ms: 0 } }
  counting = false

  constructor(readonly inner: SecretStore) {}

  async #timed<T>(kind: 'get' | 'set' | 'delete' | 'list', work: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await work()
    } finally {
      if (this.counting) {
        this.calls[kind].n++
        this.calls[kind].ms += performance.now() - started
      }
    }
  }

  get(account: string): Promise<Secret | null> {
    return this.#timed('get', () => this.inner.get(account))
  }

  set(account: string, value: Secret): Promise<void> {
    return this.#timed('set', () => this.inner.set(account, value))
  }

  delete(account: string): Promise<boolean> {
    return this.#timed('delete', () => this.inner.delete(account))
  }

  accounts(): Promise<ReadonlyArray<string>> {
    return this.#timed('list', () => this.inner.accounts())
  }

  probe(): Promise<void> {
    return this.inner.probe ? this.inner.probe() : this.inner.accounts().then(() => undefined)
  }

  /** "writes 3.1/s (42 ms), deletes ..., reads ..." over `seconds`. */
  summary(seconds: number): string {
    const part = (label: string, { n, ms }: { n: number; ms: number }) => `${label} ${Math.round((n / seconds) * 10) / 10}/s (${n ? Math.round(ms / n) : 0} ms)`
    const { n, ms } = this.calls.list
    const listings = n === 0 ? 'no listing' : `${n} listing${n > 1 ? 's' : ''} of every item (the orphan sweep, ${Math.round(ms / n)} ms)`
    return `keychain ${part('writes', this.calls.set)}, ${part('deletes', this.calls.delete)}, ${part('reads', this.calls.get)}, ${listings}`
  }
}

function secretStoreFor(store: 'memory' | 'keychain'): SecretStore {
  return store === 'keychain' ? createKeytarSecretStore(`datasource-desk-bench-${process.pid}-${randomUUID().slice(0, 8)}`) : new MemorySecretStore()
}

async function renewalCase(): Promise<Record<string, unknown>> {
  const count = spec.count ?? 100
  const lifetimeMs = (spec.lifetimeSeconds ?? 5) * 1000
  const windowMs = (spec.windowSeconds ?? 60) * 1000
  const warmupMs = Math.min(lifetimeMs, 30_000)
  const server = await startTokenServer(spec.serverFile!, lifetimeMs / 1000)
  const dataDir = mkdtempSync(join(tmpdir(), 'dsd-bench-load-'))
  const secrets = new CountingStore(secretStoreFor(spec.store ?? 'memory'))
  try {
    const cold = spec.start === 'cold'
    let seedMs: number
    try {
      seedMs = await seed(
        dataDir,
        secrets,
        count,
        server.tokenUrl,
        (index, now) => {
          // Running: spread like a running app, each token somewhere between just obtained and due
          // now. Cold: every token expired, as when the app starts after hours closed.
          const obtainedAt = cold ? now - 2 * lifetimeMs : Math.round(now - ((index + 0.5) / count) * 0.7 * lifetimeMs)
          return { tokenType: 'Bearer', grantedScope: 'read', requestedScope: '', obtainedAt, expiresAt: obtainedAt + lifetimeMs, hasRefreshToken: false }
        },
        (spec.seedBudgetSeconds ?? 300) * 1000,
      )
    } catch (error) {
      if (error instanceof SeedBudgetExceeded) return { notRun: error.message }
      throw error
    }

    const expiresAt = new Map<string, number>()
    let lateRenewals = 0
    let measuring = false
    let failures = 0
    const notify = (event: CoreEvent) => {
      if (event.type !== 'ipc' || event.name !== 'statusChanged') return
      const status = event.payload as { datasourceId: string; state: string; token: TokenMeta | null }
      if (status.state === 'retrying' || status.state === 'action-needed' || status.state === 'sign-in-needed') {
        if (measuring) failures++
        return
      }
      const next = status.token?.expiresAt
      if (next === undefined || next === null) return
      const previous = expiresAt.get(status.datasourceId)
      if (previous !== undefined && next !== previous) {
        if (measuring && previous < Date.now()) lateRenewals++
      }
      expiresAt.set(status.datasourceId, next)
    }
    const startedCore = performance.now()
    // The app sweeps orphans (a listing of every item) a minute after start when the week's sweep
    // is due; with --sweep it is, in the middle of the window. Otherwise it was swept recently.
    if (!spec.sweep) withRepository(dataDir, (repo) => repo.recordSweep(Date.now()))
    const sweepDelayMs = warmupMs + windowMs / 2
    const core = await createCore({ dataDir, secretStore: secrets, fetch: globalThis.fetch, clock: systemClock, notify, sweepDelayMs })
    const coreStartMs = performance.now() - startedCore
    for (const entry of core.snapshot()) if (entry.status.token?.expiresAt) expiresAt.set(entry.id, entry.status.token.expiresAt)

    // Cold: measured from the start, until every datasource holds a valid token again.
    if (!cold) await sleep(warmupMs)
    measuring = true
    secrets.counting = true
    const countsBefore = await server.counts()
    const cpuBefore = process.cpuUsage()
    const windowStart = Date.now()
    let expiredMs = 0
    let maxExpired = 0
    let last = windowStart
    let maxConcurrency = 0
    let allValidAt: number | null = null
    while (Date.now() - windowStart < windowMs && allValidAt === null) {
      await sleep(100)
      maxConcurrency = Math.max(maxConcurrency, core.service.scheduler.concurrency)
      const at = Date.now()
      let expired = 0
      for (const value of expiresAt.values()) if (value <= at) expired++
      expiredMs += expired * (at - last)
      maxExpired = Math.max(maxExpired, expired)
      last = at
      if (cold && expired === 0) allValidAt = at
    }
    const elapsedMs = last - windowStart
    const cpu = process.cpuUsage(cpuBefore)
    const countsAfter = await server.counts()
    measuring = false
    secrets.counting = false
    await core.close()
    const requests = countsAfter.tokenRequests - countsBefore.tokenRequests
    const lifetimes = (count * elapsedMs) / lifetimeMs
    return {
      count,
      lifetimeSeconds: lifetimeMs / 1000,
      store: spec.store ?? 'memory',
      windowSeconds: Math.round(elapsedMs / 100) / 10,
      ...(cold ? { start: 'cold', allValidAfterSeconds: allValidAt === null ? null : Math.round((allValidAt - windowStart) / 100) / 10 } : {}),
      expiredDatasourceSeconds: Math.round(expiredMs / 100) / 10,
      maxExpiredAtOnce: maxExpired,
      lateRenewals,
      failedAttempts: failures,
      tokenRequests: requests,
      requestsPerLifetime: Math.round((requests / lifetimes) * 1000) / 1000,
      renewalsPerSecond: Math.round((requests / elapsedMs) * 1000 * 10) / 10,
      cpuMsPerSecond: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000),
      seedKeychainWritesPerSecond: Math.round(count / (seedMs / 1000)),
      coreStartMs: Math.round(coreStartMs),
      keychainCalls: `${secrets.summary(elapsedMs / 1000)}; scheduler limit up to ${maxConcurrency}`,
    }
  } finally {
    server.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function idleCase(): Promise<Record<string, unknown>> {
  const count = spec.count ?? 10_000
  const windowMs = (spec.windowSeconds ?? 60) * 1000
  const dataDir = mkdtempSync(join(tmpdir(), 'dsd-bench-idle-'))
  const secrets = new MemorySecretStore()
  try {
    const now = Date.now()
    await seed(dataDir, secrets, count, 'http://127.0.0.1:9/token', () => ({
      tokenType: 'Bearer',
      grantedScope: 'read',
      requestedScope: '',
      obtainedAt: now,
      expiresAt: now + 3_600_000,
      hasRefreshToken: false,
    }))
    const core = await createCore({ dataDir, secretStore: secrets, fetch: globalThis.fetch, clock: systemClock, notify: () => {} })
    // Start-up work (the sweep, first statements) is over before the idle minute starts.
    await sleep(2_000)
    const callsBefore = secrets.calls
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    await sleep(windowMs)
    const elapsedMs = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    const scheduled = core.snapshot().filter((entry) => entry.status.renewAt !== null).length
    await core.close()
    return {
      count,
      scheduled,
      windowSeconds: Math.round(elapsedMs / 100) / 10,
      cpuMsPerMinute: Math.round(((cpu.user + cpu.system) / 1000) * (60_000 / elapsedMs)),
      keychainCallsWhileIdle: secrets.calls - callsBefore,
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function marginCase(): Promise<Record<string, unknown>> {
  const lifetimes: Array<[string, number]> = [
    ['5 s', 5_000],
    ['60 s', 60_000],
    ['10 min', 600_000],
    ['1 h', 3_600_000],
    ['24 h', 86_400_000],
  ]
  const result: Record<string, unknown> = {}
  for (const [label, lifetimeMs] of lifetimes) {
    const clock = new FakeClock()
    const count = 20
    const simulatedMs = 20 * lifetimeMs
    let renewals = 0
    let renewedAfterMs = 0
    let minLeftMs = Number.POSITIVE_INFINITY
    const issued = (at: number): TokenMeta => ({ tokenType: 'Bearer', grantedScope: null, requestedScope: '', obtainedAt: at, expiresAt: at + lifetimeMs, hasRefreshToken: true })
    const current = new Map<string, TokenMeta>()
    const scheduler = new RenewalScheduler({
      clock,
      random: Math.random,
      perform: async (id) => {
        renewals++
        const previous = current.get(id)!
        renewedAfterMs += clock.now() - previous.obtainedAt
        minLeftMs = Math.min(minLeftMs, previous.expiresAt! - clock.now())
        const token = issued(clock.now())
        current.set(id, token)
        return { ok: true, token }
      },
      onStatus: () => {},
      onPermanentFailure: () => {},
    })
    for (let index = 0; index < count; index++) {
      const token = issued(clock.now())
      current.set(`ds-${index}`, token)
      scheduler.setToken(`ds-${index}`, token)
    }
    // 20 lifetimes in steps of 1/500 of a lifetime: precise enough, and cheap for any lifetime.
    const step = lifetimeMs / 500
    for (let elapsed = 0; elapsed < simulatedMs; elapsed += step) await clock.advanceAsync(step)
    scheduler.dispose()
    result[label] = {
      // A lifetime divided by the mean time a token was used before it was replaced.
      requestsPerLifetime: Math.round((lifetimeMs / (renewedAfterMs / renewals)) * 1000) / 1000,
      minimumLeftAtRenewalSeconds: Math.round(minLeftMs / 100) / 10,
    }
  }
  return result
}

async function keychainCase(): Promise<Record<string, unknown>> {
  const count = spec.count ?? 100
  const service = `datasource-desk-bench-${process.pid}-${randomUUID().slice(0, 8)}`
  const stores = { 1: createKeytarSecretStore(service, { maxConcurrentCalls: 1 }), 3: createKeytarSecretStore(service, { maxConcurrentCalls: 3 }) }
  const accounts = Array.from({ length: count }, (_, index) => `bench-${index}/access-token`)
  const value = (index: number) => new Secret(`${'x'.repeat(40)}-${index}`)
  const started = performance.now()
  for (const [index, account] of accounts.entries()) await stores[1].set(account, value(index))
  const result: Record<string, unknown> = { count, createPerSecond: Math.round(count / ((performance.now() - started) / 1000)) }
  const samples = 40
  for (const concurrency of [1, 3] as const) {
    const store = stores[concurrency]
    const rate = async (call: (index: number) => Promise<unknown>) => {
      const begin = performance.now()
      let next = 0
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < samples) await call(next++)
      }))
      return Math.round((samples / (performance.now() - begin)) * 1000)
    }
    result[`writesPerSecond${concurrency}`] = await rate((index) => store.set(accounts[index % count]!, value(index + count)))
    result[`readsPerSecond${concurrency}`] = await rate((index) => store.get(accounts[index % count]!))
  }
  for (const account of accounts) await stores[3].delete(account)
  return result
}

const run = spec.mode === 'idle' ? idleCase : spec.mode === 'margin' ? marginCase : spec.mode === 'keychain' ? keychainCase : renewalCase
run().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (error: unknown) => {
    process.stderr.write(`bench case failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  },
)
