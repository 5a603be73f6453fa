import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import type { Logger } from '../../../electron/core/deps'
import {
  ADAPTIVE_CONCURRENCY,
  MAX_TIMER_DELAY_MS,
  RenewalScheduler,
  type RenewalOutcome,
  type RenewalReason,
  type RenewalSchedulerOptions,
} from '../../../electron/core/renewal'
import { appError, serverErrorCode, signInNeeded, type AppError } from '../../../shared/errors'
import { notConnected, type TokenMeta, type TokenStatus } from '../../../shared/token'
import { FakeClock, flushPromises } from '../../support/fake-clock'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const networkDown = appError('network', 'timeout', 'The token endpoint did not answer in time.', { transient: true })
const badClient = appError('oauth', 'invalid_client', 'The server rejected the client ID or secret.')
const passwordRejected = appError('oauth', 'invalid_grant', 'The refresh token expired and no password is stored.')

function token(obtainedAt: number, lifetimeMs: number | null): TokenMeta {
  return {
    tokenType: 'Bearer',
    grantedScope: 'read',
    requestedScope: 'read',
    obtainedAt,
    expiresAt: lifetimeMs === null ? null : obtainedAt + lifetimeMs,
    hasRefreshToken: true,
  }
}

interface PerformCall {
  readonly id: string
  readonly reason: RenewalReason
  readonly at: number
  resolve(outcome: RenewalOutcome): void
  reject(error: unknown): void
}

interface HarnessOptions {
  readonly random?: () => number
  /** Answers a perform at once; undefined leaves it pending for the test to resolve. */
  readonly respond?: (call: PerformCall) => RenewalOutcome | undefined
  readonly maxConcurrent?: number
  readonly logger?: Logger
  readonly onStatus?: RenewalSchedulerOptions['onStatus']
}

function harness(options: HarnessOptions = {}) {
  const clock = new FakeClock()
  const calls: PerformCall[] = []
  const statuses: TokenStatus[] = []
  const permanent: Array<{ id: string; error: AppError }> = []
  const failed: Array<{ id: string; error: AppError; attempt: number }> = []
  let inFlight = 0
  let maxInFlight = 0
  const random = vi.fn(options.random ?? (() => 0.5))
  const perform = vi.fn((id: string, reason: RenewalReason) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const promise = new Promise<RenewalOutcome>((resolve, reject) => {
      const call: PerformCall = { id, reason, at: clock.now(), resolve, reject }
      calls.push(call)
      const outcome = options.respond?.(call)
      if (outcome) resolve(outcome)
    })
    return promise.finally(() => inFlight--)
  })
  const scheduler = new RenewalScheduler({
    clock,
    random,
    perform,
    onStatus: (status) => {
      statuses.push(status)
      options.onStatus?.(status)
    },
    onPermanentFailure: (id, error) => permanent.push({ id, error }),
    onAttemptFailed: (id, error, attempt) => failed.push({ id, error, attempt }),
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  return {
    clock,
    scheduler,
    perform,
    random,
    calls,
    statuses,
    permanent,
    failed,
    get maxInFlight() {
      return maxInFlight
    },
    lastCall(): PerformCall {
      const call = calls.at(-1)
      if (!call) throw new Error('perform was not called')
      return call
    },
  }
}

function savedStatus(id: string, meta: TokenMeta | null, patch: Partial<TokenStatus> = {}): TokenStatus {
  return { ...notConnected(id, 0), token: meta, ...patch }
}

describe('RenewalScheduler: when it renews', () => {
  it('renews a 2 s token at 75% of its lifetime, again and again, before it expires', async () => {
    const h = harness({ respond: (call) => ({ ok: true, token: token(call.at, 2 * SECOND) }) })
    const start = h.clock.now()
    h.scheduler.setToken('a', token(start, 2 * SECOND))
    expect(h.scheduler.status('a')?.renewAt).toBe(start + 1_500)

    await h.clock.advanceAsync(1_499)
    expect(h.perform).not.toHaveBeenCalled()
    await h.clock.advanceAsync(1)
    expect(h.perform).toHaveBeenCalledTimes(1)
    expect(h.perform).toHaveBeenLastCalledWith('a', 'timer')

    await h.clock.advanceAsync(10 * SECOND)
    // 1.5, 3.0, 4.5 ... 10.5 s
    expect(h.calls.map((call) => call.at - start)).toEqual([1_500, 3_000, 4_500, 6_000, 7_500, 9_000, 10_500])
    const status = h.scheduler.status('a')!
    expect(status.state).toBe('idle')
    expect(status.token!.expiresAt! - h.clock.now()).toBeGreaterThan(0)
    expect(h.clock.pending).toBe(1)
  })

  it('renews a 1 h token 5 to 2 min before it expires, as random picks', () => {
    for (const [random, minutes] of [
      [0, 55],
      [0.5, 56.5],
      [1, 58],
    ] as const) {
      const h = harness({ random: () => random })
      const start = h.clock.now()
      h.scheduler.setToken('a', token(start, HOUR))
      expect(h.scheduler.status('a')?.renewAt).toBe(start + minutes * MINUTE)
      expect(h.clock.nextDelay).toBe(minutes * MINUTE)
    }
  })

  it('spreads tokens issued together over the 70-80% window, and hour-long ones over 3 min', () => {
    const h = harness({ random: Math.random })
    const start = h.clock.now()
    for (let index = 0; index < 500; index++) h.scheduler.setToken(`ds-${index}`, token(start, 5 * SECOND))
    for (let index = 0; index < 500; index++) h.scheduler.setToken(`hour-${index}`, token(start, HOUR))
    const renewAts = h.scheduler.snapshot().filter((status) => status.datasourceId.startsWith('ds-')).map((status) => status.renewAt! - start)
    expect(Math.min(...renewAts)).toBeGreaterThanOrEqual(0.7 * 5 * SECOND)
    expect(Math.max(...renewAts)).toBeLessThanOrEqual(0.8 * 5 * SECOND)
    expect(new Set(renewAts).size).toBeGreaterThan(100)
    const hourly = h.scheduler.snapshot().filter((status) => status.datasourceId.startsWith('hour-')).map((status) => status.renewAt! - start)
    expect(Math.min(...hourly)).toBeGreaterThanOrEqual(HOUR - 5 * MINUTE)
    expect(Math.max(...hourly)).toBeLessThanOrEqual(HOUR - 2 * MINUTE)
    expect(new Set(renewAts).size).toBeGreaterThan(100)
  })

  it('sleeps in pieces no longer than setTimeout allows for a 90 day token, and renews on time', async () => {
    const h = harness({ respond: () => ({ ok: true, token: token(0, null) }) })
    const start = h.clock.now()
    h.scheduler.setToken('a', token(start, 90 * DAY))
    const renewAt = start + 90 * DAY - 3.5 * MINUTE
    expect(h.scheduler.status('a')?.renewAt).toBe(renewAt)
    // FakeClock throws on a delay setTimeout cannot hold, as Node would silently fire after 1 ms.
    expect(h.clock.nextDelay).toBe(MAX_TIMER_DELAY_MS)

    await h.clock.advanceAsync(60 * DAY)
    expect(h.perform).not.toHaveBeenCalled()
    expect(h.clock.pending).toBe(1)
    await h.clock.advanceAsync(renewAt - h.clock.now() - 1)
    expect(h.perform).not.toHaveBeenCalled()
    await h.clock.advanceAsync(1)
    expect(h.calls.map((call) => call.at)).toEqual([renewAt])
  })

  it('does not renew a token without an expiry on a timer, and keeps no timer for it', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), null))
    h.scheduler.load([savedStatus('b', token(0, null))])
    expect(h.scheduler.status('a')?.renewAt).toBeNull()
    expect(h.scheduler.status('b')?.renewAt).toBeNull()
    expect(h.clock.pending).toBe(0)
    await h.clock.advanceAsync(365 * DAY)
    expect(h.perform).not.toHaveBeenCalled()
    expect(h.clock.setTimeoutCalls).toBe(0)
  })

  it('keeps nothing pending when nothing is scheduled', () => {
    const h = harness()
    h.scheduler.setToken('a', null)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', token: null, renewAt: null })
    expect(h.clock.pending).toBe(0)
  })

  it('does not loop when a renewal returns a token that is already (nearly) expired', async () => {
    // The request took longer than the token lives: renewalTime is in the past on arrival.
    const h = harness({ respond: (call) => ({ ok: true, token: token(call.at - 2 * SECOND, 500) }) })
    h.scheduler.setToken('a', token(h.clock.now(), 2 * SECOND))
    await h.clock.advanceAsync(1_500)
    expect(h.perform).toHaveBeenCalledTimes(1)
    expect(h.scheduler.status('a')?.renewAt).toBe(h.clock.now() + 1_000)
    await h.clock.advanceAsync(10 * SECOND)
    expect(h.perform).toHaveBeenCalledTimes(11)
  })
})

describe('RenewalScheduler: transient failures', () => {
  it('backs off 5, 10, 20, 40 ... s capped at 5 min, keeping the old token', async () => {
    const h = harness({ respond: () => ({ ok: false, error: networkDown }) })
    const start = h.clock.now()
    const original = token(start, HOUR)
    h.scheduler.setToken('a', original)
    await h.clock.advanceAsync(56.5 * MINUTE)
    const delays: number[] = []
    for (let attempt = 1; attempt <= 9; attempt++) {
      const status = h.scheduler.status('a')!
      expect(status).toMatchObject({ state: 'retrying', attempt, lastError: networkDown })
      expect(status.token).toBe(original)
      expect(status.renewAt).toBe(status.nextAttemptAt)
      delays.push(status.nextAttemptAt! - h.clock.now())
      await h.clock.advanceAsync(status.nextAttemptAt! - h.clock.now())
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300].map((seconds) => seconds * SECOND))
    expect(h.failed.map((failure) => failure.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(h.permanent).toEqual([])
    expect(h.clock.pending).toBe(1)
  })

  it('jitters the backoff within +-20% using the injected random', async () => {
    for (const [random, delay] of [
      [0, 4 * SECOND],
      [1, 6 * SECOND],
    ] as const) {
      const h = harness({ random: () => random, respond: () => ({ ok: false, error: networkDown }) })
      h.scheduler.setToken('a', token(h.clock.now(), HOUR))
      await h.scheduler.renew('a', 'manual')
      expect(h.scheduler.status('a')!.nextAttemptAt! - h.clock.now()).toBe(delay)
    }
  })

  it("honours the server's Retry-After", async () => {
    const slowDown = appError('oauth', serverErrorCode('http_429'), 'Too many requests.', { transient: true, retryAfterMs: 42 * SECOND, httpStatus: 429 })
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    const first = h.scheduler.renew('a', 'manual')
    h.lastCall().resolve({ ok: false, error: slowDown })
    await first
    expect(h.scheduler.status('a')!.nextAttemptAt).toBe(h.clock.now() + 42 * SECOND)
    await h.clock.advanceAsync(42 * SECOND - 1)
    expect(h.perform).toHaveBeenCalledTimes(1)
    await h.clock.advanceAsync(1)
    expect(h.perform).toHaveBeenCalledTimes(2)
  })

  it('recovers by itself and resets the attempt count', async () => {
    let serverUp = false
    const h = harness({ respond: (call) => (serverUp ? { ok: true, token: token(call.at, HOUR) } : { ok: false, error: networkDown }) })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.clock.advanceAsync(56.5 * MINUTE + 5 * SECOND + 10 * SECOND)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'retrying', attempt: 3 })
    serverUp = true
    await h.clock.advanceAsync(20 * SECOND)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', attempt: 0, lastError: null, nextAttemptAt: null })
    expect(h.scheduler.status('a')!.renewAt).toBe(h.clock.now() + 56.5 * MINUTE)
  })

  it('turns a perform that throws or rejects into a transient internal error, without an unhandled rejection', async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const h = harness({ logger })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.perform.mockImplementationOnce(() => {
      throw new Error('secret-value leaked in a message')
    })
    const outcome = await h.scheduler.renew('a', 'manual')
    expect(outcome).toMatchObject({ ok: false, error: { kind: 'internal', transient: true } })
    expect(JSON.stringify(outcome)).not.toContain('secret-value')
    expect(h.scheduler.status('a')).toMatchObject({ state: 'retrying', attempt: 1 })
    expect(logger.error).toHaveBeenCalledTimes(1)

    h.perform.mockImplementationOnce(() => Promise.reject(new TypeError('boom')))
    await h.clock.advanceAsync(5 * SECOND)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'retrying', attempt: 2, lastError: { kind: 'internal' } })
    expect(h.permanent).toEqual([])
  })
})

describe('RenewalScheduler: permanent failures', () => {
  it('sets action-needed, stops the timer and notifies once per episode', async () => {
    const h = harness({ respond: () => ({ ok: false, error: badClient }) })
    const original = token(h.clock.now(), HOUR)
    h.scheduler.setToken('a', original)
    await h.clock.advanceAsync(56.5 * MINUTE)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'action-needed', lastError: badClient, renewAt: null, nextAttemptAt: null, attempt: 1 })
    expect(h.scheduler.status('a')!.token).toBe(original)
    expect(h.clock.pending).toBe(0)
    expect(h.permanent).toEqual([{ id: 'a', error: badClient }])

    // The user clicks "Renew now" twice more without fixing anything: same episode, no new notification.
    await h.scheduler.renew('a', 'manual')
    await h.scheduler.renew('a', 'test')
    await h.clock.advanceAsync(DAY)
    expect(h.perform).toHaveBeenCalledTimes(3)
    expect(h.permanent).toHaveLength(1)
    expect(h.failed.map((failure) => failure.attempt)).toEqual([1, 2, 3])
  })

  it('starts a new episode after a success or a new token', async () => {
    let answer: RenewalOutcome = { ok: false, error: badClient }
    const h = harness({ respond: () => answer })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.scheduler.renew('a', 'manual')
    expect(h.permanent).toHaveLength(1)

    answer = { ok: true, token: token(h.clock.now(), HOUR) }
    await h.scheduler.renew('a', 'manual')
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', attempt: 0, lastError: null })
    answer = { ok: false, error: badClient }
    await h.scheduler.renew('a', 'manual')
    expect(h.permanent).toHaveLength(2)

    // Fixing the configuration stores a new token (setToken): the next failure is news again.
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', attempt: 0, lastError: null })
    await h.scheduler.renew('a', 'manual')
    expect(h.permanent).toHaveLength(3)
  })

  it('keeps one episode across transient failures in between', async () => {
    let answer: RenewalOutcome = { ok: false, error: badClient }
    const h = harness({ respond: () => answer })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.scheduler.renew('a', 'manual')
    answer = { ok: false, error: networkDown }
    await h.scheduler.renew('a', 'manual')
    expect(h.scheduler.status('a')!.state).toBe('retrying')
    answer = { ok: false, error: badClient }
    // Attempt 2 failed, so the retry waits 10 s.
    await h.clock.advanceAsync(10 * SECOND)
    expect(h.scheduler.status('a')!.state).toBe('action-needed')
    expect(h.permanent).toHaveLength(1)
  })

  it('asks for sign-in when the password is not stored, and recovers after a manual sign-in', async () => {
    const noPassword = signInNeeded(null)
    let answer: RenewalOutcome = { ok: false, error: noPassword }
    const h = harness({ respond: () => answer })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.clock.advanceAsync(56.5 * MINUTE)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'sign-in-needed', lastError: noPassword, renewAt: null })
    expect(h.permanent).toEqual([{ id: 'a', error: noPassword }])
    expect(h.clock.pending).toBe(0)
    await h.clock.advanceAsync(DAY)
    expect(h.perform).toHaveBeenCalledTimes(1)

    answer = { ok: true, token: token(h.clock.now(), HOUR) }
    const outcome = await h.scheduler.renew('a', 'manual')
    expect(outcome.ok).toBe(true)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', attempt: 0 })
    expect(h.clock.pending).toBe(1)
  })
})

describe('RenewalScheduler: single-flight', () => {
  it('answers 20 concurrent renew calls with one perform and one shared outcome', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    const promises = Array.from({ length: 20 }, (_, index) => h.scheduler.renew('a', index % 2 ? 'manual' : 'test'))
    expect(h.perform).toHaveBeenCalledTimes(1)
    expect(h.scheduler.status('a')!.state).toBe('renewing')
    const fresh = token(h.clock.now(), HOUR)
    h.lastCall().resolve({ ok: true, token: fresh })
    const outcomes = await Promise.all(promises)
    expect(new Set(outcomes).size).toBe(1)
    expect(outcomes[0]).toEqual({ ok: true, token: fresh })
    expect(h.scheduler.status('a')!.token).toBe(fresh)
  })

  it('lets a manual and a test renewal join the timer renewal in flight', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.clock.advanceAsync(56.5 * MINUTE)
    expect(h.perform).toHaveBeenCalledTimes(1)
    const manual = h.scheduler.renew('a', 'manual')
    const test = h.scheduler.renew('a', 'test')
    expect(h.perform).toHaveBeenCalledTimes(1)
    h.lastCall().resolve({ ok: false, error: badClient })
    expect(await manual).toBe(await test)
    expect(h.permanent).toHaveLength(1)
  })

  it('starts a new attempt once the previous one has finished', async () => {
    const h = harness({ respond: (call) => ({ ok: true, token: token(call.at, HOUR) }) })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    await h.scheduler.renew('a', 'manual')
    await h.scheduler.renew('a', 'manual')
    expect(h.perform).toHaveBeenCalledTimes(2)
  })

  it('moves through renewing to the outcome, stamping every status with the clock', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    const pending = h.scheduler.renew('a', 'manual')
    h.clock.advance(3 * SECOND)
    h.lastCall().resolve({ ok: true, token: token(h.clock.now(), HOUR) })
    await pending
    expect(h.statuses.map((status) => [status.state, status.updatedAt - h.statuses[0]!.updatedAt])).toEqual([
      ['idle', 0],
      ['renewing', 0],
      ['idle', 3 * SECOND],
    ])
    expect(h.statuses[1]!.renewAt).toBeNull()
  })

  it('answers renew for an unknown datasource without calling perform', async () => {
    const h = harness()
    expect(await h.scheduler.renew('nope', 'manual')).toMatchObject({ ok: false, error: { kind: 'not-found' } })
    expect(h.perform).not.toHaveBeenCalled()
  })
})

describe('RenewalScheduler: rescheduling', () => {
  it('moves the deadline when setToken stores a newer token', async () => {
    const h = harness()
    const start = h.clock.now()
    h.scheduler.setToken('a', token(start, HOUR))
    await h.clock.advanceAsync(10 * MINUTE)
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    expect(h.scheduler.status('a')!.renewAt).toBe(start + 66.5 * MINUTE)
    await h.clock.advanceAsync(56 * MINUTE)
    expect(h.perform).not.toHaveBeenCalled()
    expect(h.clock.pending).toBe(1)
    await h.clock.advanceAsync(MINUTE)
    expect(h.calls.map((call) => call.at)).toEqual([start + 66.5 * MINUTE])
  })

  it('drops the timer when a configuration change drops the token, and clears action-needed', async () => {
    const h = harness({ respond: () => ({ ok: false, error: badClient }) })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.scheduler.setToken('b', token(h.clock.now(), 2 * HOUR))
    await h.scheduler.renew('b', 'manual')
    h.scheduler.setToken('a', null)
    h.scheduler.setToken('b', null)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', token: null, renewAt: null })
    expect(h.scheduler.status('b')).toMatchObject({ state: 'idle', token: null, attempt: 0, lastError: null })
    expect(h.clock.pending).toBe(0)
    await h.clock.advanceAsync(DAY)
    expect(h.perform).toHaveBeenCalledTimes(1)
  })

  it('lets an attempt superseded by setToken answer its callers without touching the new status', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    const stale = h.scheduler.renew('a', 'manual')
    const replacement = token(h.clock.now(), 2 * HOUR)
    h.scheduler.setToken('a', replacement)
    h.calls[0]!.resolve({ ok: false, error: badClient })
    expect(await stale).toMatchObject({ ok: false })
    expect(h.scheduler.status('a')).toMatchObject({ state: 'idle', token: replacement })
    expect(h.permanent).toEqual([])
  })

  it('cancels the timer of a deleted datasource and ignores its attempt in flight', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.scheduler.setToken('b', token(h.clock.now(), 2 * HOUR))
    h.scheduler.remove('a')
    expect(h.scheduler.status('a')).toBeUndefined()
    expect(h.clock.nextDelay).toBe(2 * HOUR - 3.5 * MINUTE)

    const inFlight = h.scheduler.renew('b', 'manual')
    h.scheduler.remove('b')
    expect(h.clock.pending).toBe(0)
    const statusesBefore = h.statuses.length
    h.lastCall().resolve({ ok: false, error: badClient })
    expect(await inFlight).toMatchObject({ ok: false })
    expect(h.statuses).toHaveLength(statusesBefore)
    expect(h.permanent).toEqual([])
    expect(h.scheduler.snapshot()).toEqual([])
    await h.clock.advanceAsync(DAY)
    expect(h.perform).toHaveBeenCalledTimes(1)
  })

  it('renews at once on recheck after the wall clock jumped past the deadline (sleep/resume)', async () => {
    const h = harness({ respond: (call) => ({ ok: true, token: token(call.at, HOUR) }) })
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.scheduler.setToken('b', token(h.clock.now(), 10 * HOUR))
    // Suspended for 2 h: the wall clock moved, the armed timer did not.
    h.clock.jump(2 * HOUR)
    await h.clock.advanceAsync(0)
    expect(h.perform).not.toHaveBeenCalled()

    h.scheduler.recheck()
    expect(h.perform).not.toHaveBeenCalled()
    await h.clock.advanceAsync(0)
    expect(h.calls.map((call) => [call.id, call.reason])).toEqual([['a', 'resume']])
    expect(h.scheduler.status('a')!.renewAt).toBe(h.clock.now() + 56.5 * MINUTE)
    // b's deadline (3.5 min before 10 h after the start) has not passed: it is re-armed, not renewed.
    expect(h.clock.nextDelay).toBe(56.5 * MINUTE)
  })

  it('re-arms for the right remaining time after a smaller or a backward jump', () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.clock.jump(10 * MINUTE)
    h.scheduler.recheck()
    expect(h.clock.nextDelay).toBe(46.5 * MINUTE)
    h.clock.jump(-HOUR)
    h.scheduler.recheck()
    expect(h.clock.nextDelay).toBe(106.5 * MINUTE)
    expect(h.clock.pending).toBe(1)
  })

  it('renews at the last announced renewAt under any mix of setToken, remove and time passing', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f']
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.constantFrom(...ids), lifetime: fc.option(fc.integer({ min: 1, max: 600 }).map((s) => s * SECOND)) }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 * SECOND }) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), async (operations, random) => {
        const h = harness({ random: () => random, respond: () => ({ ok: true, token: token(0, null) }) })
        const expected = new Map<string, number | null>()
        for (const op of operations) {
          if (op.kind === 'set') {
            h.scheduler.setToken(op.id, op.lifetime === null ? null : token(h.clock.now(), op.lifetime))
            expected.set(op.id, h.scheduler.status(op.id)!.renewAt)
          } else if (op.kind === 'remove') {
            h.scheduler.remove(op.id)
            expected.delete(op.id)
          } else {
            const before = h.calls.length
            await h.clock.advanceAsync(op.ms)
            for (const call of h.calls.slice(before)) {
              expect(call.at).toBe(expected.get(call.id))
              // The answer has no expiry: nothing more is due for it.
              expected.set(call.id, null)
            }
          }
          expect(h.clock.pending).toBeLessThanOrEqual(1)
        }
        const due = [...expected.values()].filter((at) => at !== null).length
        const before = h.calls.length
        await h.clock.advanceAsync(DAY)
        expect(h.calls.length - before).toBe(due)
        expect(h.clock.pending).toBe(0)
      }),
      { numRuns: 60 },
    )
  })
})

describe('RenewalScheduler: scale and concurrency', () => {
  it('loads 10,000 datasources with one pending timer and one setTimeout call', () => {
    const h = harness({ random: Math.random })
    const start = h.clock.now()
    const statuses = Array.from({ length: 10_000 }, (_, index) =>
      savedStatus(`ds-${index}`, token(start - (index % 600) * SECOND, (30 + (index % 97)) * MINUTE)),
    )
    h.scheduler.load(statuses)
    expect(h.scheduler.snapshot()).toHaveLength(10_000)
    expect(h.clock.pending).toBe(1)
    expect(h.clock.setTimeoutCalls).toBe(1)
    expect(h.clock.clearTimeoutCalls).toBe(0)
    expect(h.random).toHaveBeenCalledTimes(10_000)
    expect(h.perform).not.toHaveBeenCalled()
    const earliest = Math.min(...h.scheduler.snapshot().map((status) => status.renewAt!))
    expect(h.clock.nextDelay).toBe(earliest - start)
  })

  it('renews 10,000 datasources, each once, in deadline order, never more than a fixed 4 at once, with one timer', async () => {
    const h = harness({ random: Math.random, maxConcurrent: 4, respond: () => ({ ok: true, token: token(0, null) }) })
    const start = h.clock.now()
    h.scheduler.load(Array.from({ length: 10_000 }, (_, index) => savedStatus(`ds-${index}`, token(start, (1 + (index % 50)) * MINUTE))))
    const renewAt = new Map(h.scheduler.snapshot().map((status) => [status.datasourceId, status.renewAt!]))
    h.clock.resetCounts()
    await h.clock.advanceAsync(HOUR)
    expect(h.perform).toHaveBeenCalledTimes(10_000)
    expect(new Set(h.calls.map((call) => call.id)).size).toBe(10_000)
    for (const call of h.calls) expect(call.at).toBe(renewAt.get(call.id))
    expect(h.maxInFlight).toBeLessThanOrEqual(4)
    expect(h.clock.maxPending).toBe(1)
    expect(h.clock.pending).toBe(0)
  })

  it('caps timer-driven renewals at a fixed 4 after a long sleep, earliest first, while manual ones bypass the cap', async () => {
    const h = harness({ maxConcurrent: 4 })
    const start = h.clock.now()
    for (let index = 0; index < 10; index++) h.scheduler.setToken(`ds-${index}`, token(start + index * SECOND, HOUR))
    h.clock.jump(DAY)
    h.scheduler.recheck()
    await h.clock.advanceAsync(0)
    expect(h.calls.map((call) => call.id)).toEqual(['ds-0', 'ds-1', 'ds-2', 'ds-3'])
    expect(h.scheduler.inFlight).toBe(4)
    expect(h.clock.pending).toBe(0)

    void h.scheduler.renew('ds-9', 'manual')
    expect(h.calls.map((call) => call.id)).toEqual(['ds-0', 'ds-1', 'ds-2', 'ds-3', 'ds-9'])

    h.calls[1]!.resolve({ ok: false, error: networkDown })
    await flushPromises()
    expect(h.clock.pending).toBe(1)
    await h.clock.advanceAsync(0)
    expect(h.calls.map((call) => call.id)).toEqual(['ds-0', 'ds-1', 'ds-2', 'ds-3', 'ds-9', 'ds-4'])
    for (const call of h.calls) call.resolve({ ok: true, token: token(h.clock.now(), HOUR) })
    await h.clock.advanceAsync(0)
    expect(h.calls.map((call) => call.id).slice(6)).toEqual(['ds-5', 'ds-6', 'ds-7', 'ds-8'])
    expect(h.scheduler.status('ds-8')!.state).toBe('renewing')
    expect(h.scheduler.status('ds-0')!.state).toBe('idle')
  })

  it('starts at 4, grows while renewals are overdue up to 128, shrinks once it keeps up, and never starts a duplicate', async () => {
    // 2,000 tokens due at once (after a long sleep), each renewal taking 1 s: 4 at once take 500 s.
    const durations: number[] = []
    const inFlight = new Map<string, number>()
    let duplicates = 0
    const h = harness({ random: Math.random })
    h.perform.mockImplementation(async (id: string) => {
      if (inFlight.has(id)) duplicates++
      inFlight.set(id, h.clock.now())
      await new Promise<void>((resolve) => h.clock.setTimeout(resolve, SECOND))
      durations.push(h.clock.now() - inFlight.get(id)!)
      inFlight.delete(id)
      return { ok: true, token: token(h.clock.now(), HOUR) }
    })
    const start = h.clock.now()
    expect(h.scheduler.concurrency).toBe(ADAPTIVE_CONCURRENCY.min)
    h.scheduler.load(Array.from({ length: 2_000 }, (_, index) => savedStatus(`ds-${index}`, token(start - 2 * HOUR + (index % 10) * SECOND, HOUR))))
    let most = 0
    for (let second = 0; second < 120; second++) {
      await h.clock.advanceAsync(SECOND)
      most = Math.max(most, h.scheduler.inFlight)
    }
    expect(h.perform).toHaveBeenCalledTimes(2_000)
    expect(duplicates).toBe(0)
    expect(most).toBe(ADAPTIVE_CONCURRENCY.max)
    expect(ADAPTIVE_CONCURRENCY.max).toBe(128)
    // With 4 at once this takes 500 s; adapting finishes in well under a minute.
    expect(Math.max(...h.calls.map((call) => call.at)) - start).toBeLessThan(80 * SECOND)
    // Every renewal that finished with nothing overdue took one off again.
    expect(h.scheduler.concurrency).toBeLessThan(ADAPTIVE_CONCURRENCY.max)
  })

  it('stays at 4 when renewals keep up', async () => {
    const h = harness({ random: Math.random, respond: (call) => ({ ok: true, token: token(call.at, 10 * SECOND) }) })
    for (let index = 0; index < 50; index++) h.scheduler.setToken(`ds-${index}`, token(h.clock.now() + index * 100, 10 * SECOND))
    for (let second = 0; second < 60; second++) await h.clock.advanceAsync(SECOND)
    expect(h.scheduler.concurrency).toBe(ADAPTIVE_CONCURRENCY.min)
    expect(h.maxInFlight).toBeLessThanOrEqual(ADAPTIVE_CONCURRENCY.min)
  })

  it('honours a custom concurrency limit', async () => {
    const h = harness({ maxConcurrent: 1 })
    for (let index = 0; index < 3; index++) h.scheduler.setToken(`ds-${index}`, token(h.clock.now(), 2 * SECOND))
    await h.clock.advanceAsync(1_500)
    expect(h.perform).toHaveBeenCalledTimes(1)
  })
})

describe('RenewalScheduler: load', () => {
  it('renews overdue and interrupted tokens on the next tick, not inside load', async () => {
    const h = harness()
    const now = h.clock.now()
    h.scheduler.load([
      savedStatus('overdue', token(now - 2 * HOUR, HOUR)),
      savedStatus('interrupted', token(now - 10 * MINUTE, HOUR), { state: 'renewing' }),
      savedStatus('later', token(now, HOUR)),
    ])
    expect(h.perform).not.toHaveBeenCalled()
    expect(h.statuses).toEqual([])
    await h.clock.advanceAsync(0)
    expect(h.calls.map((call) => call.id).sort()).toEqual(['interrupted', 'overdue'])
  })

  it('resumes retrying at the stored next attempt and keeps the attempt count', async () => {
    const h = harness({ respond: () => ({ ok: false, error: networkDown }) })
    const now = h.clock.now()
    h.scheduler.load([savedStatus('a', token(now - 50 * MINUTE, HOUR), { state: 'retrying', attempt: 3, nextAttemptAt: now + 7 * SECOND, lastError: networkDown })])
    expect(h.clock.nextDelay).toBe(7 * SECOND)
    await h.clock.advanceAsync(7 * SECOND)
    expect(h.scheduler.status('a')).toMatchObject({ state: 'retrying', attempt: 4 })
    expect(h.scheduler.status('a')!.nextAttemptAt).toBe(h.clock.now() + 40 * SECOND)
  })

  it('leaves action-needed and sign-in-needed alone and does not notify again on start-up', async () => {
    const h = harness()
    const now = h.clock.now()
    h.scheduler.load([
      savedStatus('a', token(now - 2 * HOUR, HOUR), { state: 'action-needed', attempt: 1, lastError: badClient }),
      savedStatus('b', token(now - 2 * HOUR, HOUR), { state: 'sign-in-needed', attempt: 1, lastError: passwordRejected }),
    ])
    expect(h.clock.pending).toBe(0)
    await h.clock.advanceAsync(DAY)
    expect(h.perform).not.toHaveBeenCalled()

    const outcome = h.scheduler.renew('a', 'manual')
    h.lastCall().resolve({ ok: false, error: badClient })
    await outcome
    expect(h.permanent).toEqual([])
    expect(h.scheduler.status('a')).toMatchObject({ state: 'action-needed', attempt: 2 })
  })
})

describe('RenewalScheduler: robustness and dispose', () => {
  it('survives an onStatus callback that throws', async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const h = harness({
      logger,
      onStatus: () => {
        throw new Error('renderer gone')
      },
      respond: (call) => ({ ok: true, token: token(call.at, HOUR) }),
    })
    h.scheduler.setToken('a', token(h.clock.now(), 2 * SECOND))
    await h.clock.advanceAsync(1_500)
    expect(h.perform).toHaveBeenCalledTimes(1)
    expect(h.scheduler.status('a')!.state).toBe('idle')
    expect(logger.error).toHaveBeenCalled()
  })

  it('stops everything on dispose: no timer, no callbacks, no new renewals', async () => {
    const h = harness()
    h.scheduler.setToken('a', token(h.clock.now(), HOUR))
    h.scheduler.setToken('b', token(h.clock.now(), 2 * HOUR))
    const inFlight = h.scheduler.renew('a', 'manual')
    h.scheduler.dispose()
    expect(h.clock.pending).toBe(0)
    const statusesBefore = h.statuses.length

    h.lastCall().resolve({ ok: false, error: badClient })
    expect(await inFlight).toMatchObject({ ok: false })
    expect(await h.scheduler.renew('b', 'manual')).toMatchObject({ ok: false, error: { kind: 'cancelled' } })
    h.scheduler.setToken('c', token(h.clock.now(), HOUR))
    h.scheduler.recheck()
    await h.clock.advanceAsync(DAY)
    expect(h.perform).toHaveBeenCalledTimes(1)
    expect(h.statuses).toHaveLength(statusesBefore)
    expect(h.permanent).toEqual([])
    expect(h.clock.pending).toBe(0)
  })
})
