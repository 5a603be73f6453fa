/**
 * The renewal scheduler: decides when each datasource's token is renewed, keeps its status, and
 * makes sure only one renewal per datasource runs at a time. How a token is renewed (OAuth, the
 * keychain, SQLite) is the injected `perform`; this module only does timing, state and
 * single-flight, so it runs on a fake clock in tests.
 */
import { appError, type AppError } from '../../shared/errors'
import { backoffDelay, notConnected, RENEWAL, renewalTime, type TokenMeta, type TokenStatus } from '../../shared/token'
import type { Clock, Logger, TimerHandle } from './deps'
import type { Secret } from './secrets/secret'

/** Why a renewal ran; `api-401`: Test connection's API check refused a token that looked valid. */
export type RenewalReason = 'timer' | 'manual' | 'test' | 'resume' | 'sign-in' | 'api-401'

/** How one renew() call runs; see renew(). */
export interface RenewOptions {
  /** Runs instead of the scheduler's `perform` (sign-in with a typed password). */
  readonly perform?: () => Promise<RenewalOutcome>
  /**
   * A failure changes nothing: the status (and its deadline) is put back as it was, with no
   * history and no notification. For Test connection and sign-in, whose caller shows the error.
   */
  readonly quiet?: boolean
}

export type RenewalOutcome =
  /**
   * `accessToken` is the token just stored, when this process obtained it: the command that asked
   * prints it without reading it back from the keychain. Never part of a status.
   */
  | { readonly ok: true; readonly token: TokenMeta; readonly accessToken?: Secret }
  /**
   * An error of kind 'sign-in-needed' stops renewal until the user signs in. `token`: the token as
   * stored now, when the attempt changed what is recorded about it (its refresh token was refused).
   */
  | { readonly ok: false; readonly error: AppError; readonly superseded?: false; readonly token?: TokenMeta }
  /**
   * The token was discarded because the datasource changed (or went away) while it was requested;
   * `token` is what is stored now. Not a failure of renewal: it starts a new episode.
   */
  | { readonly ok: false; readonly error: AppError; readonly superseded: true; readonly token: TokenMeta | null }

export interface RenewalSchedulerOptions {
  readonly clock: Clock
  readonly random: () => number
  readonly perform: (id: string, reason: RenewalReason) => Promise<RenewalOutcome>
  /** Every state change, with `updatedAt` = clock.now(). */
  readonly onStatus: (status: TokenStatus) => void
  /** Once per failure episode, not per attempt: the host raises one OS notification. */
  readonly onPermanentFailure: (id: string, error: AppError) => void
  /** Every failed attempt, transient or not (for the history). */
  readonly onAttemptFailed?: (id: string, error: AppError, attempt: number) => void
  /**
   * A fixed number of timer-driven renewals in flight at once; manual and test renewals do not
   * count. Without it the limit adapts (see `concurrency`).
   */
  readonly maxConcurrent?: number
  /** Where a throwing `perform` or host callback is reported; nothing is thrown back at the host. */
  readonly logger?: Logger
}

/** Node turns a longer delay into 1 ms, so long sleeps are cut into pieces and re-armed. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * Bounds of the adaptive limit. It starts at the lower one, grows by one for every timer-driven
 * renewal that finishes while others are already due, and shrinks by one for every one that
 * finishes with nothing due: it settles where renewals finish as fast as they come due (the rate
 * they come due times how long one takes), measured rather than guessed. The upper bound keeps a
 * burst (a thousand tokens due after a sleep) from opening a thousand connections at once. It is
 * 128, not 32, because with token bundles most renewals in flight wait for a shared keychain write
 * (433 ms at 500 datasources): 32 in flight gave 47 renewals/s, 128 gave 74/s (bench/RESULTS.md).
 */
export const ADAPTIVE_CONCURRENCY = { min: 4, max: 128 } as const

interface Flight {
  readonly promise: Promise<RenewalOutcome>
  /** A quiet flight's failure puts this status back. */
  readonly restore: TokenStatus | null
}

interface Entry {
  readonly id: string
  status: TokenStatus
  /** Matches the `seq` of this entry's live heap item; 0 when it has none. */
  heapSeq: number
  flight: Flight | null
  /** A permanent failure was already reported in the current episode. */
  notified: boolean
}

interface HeapItem {
  readonly at: number
  readonly seq: number
  readonly id: string
}

export class RenewalScheduler {
  readonly #options: RenewalSchedulerOptions
  readonly #clock: Clock
  readonly #fixedConcurrency: number | null
  #maxConcurrent: number
  readonly #entries = new Map<string, Entry>()
  /**
   * Binary min-heap of deadlines (renewal or retry time), ordered by time then by insertion.
   * Rescheduling does not search the heap: it pushes a new item and the old one goes stale (its
   * seq no longer matches the entry) and is dropped when it reaches the top or on compaction.
   */
  #heap: HeapItem[] = []
  #liveItems = 0
  #seq = 0
  #timer: TimerHandle | null = null
  #timerFor: number | null = null
  #timerDrivenInFlight = 0
  #resumedAt = Number.NEGATIVE_INFINITY
  #disposed = false

  constructor(options: RenewalSchedulerOptions) {
    this.#options = options
    this.#clock = options.clock
    this.#fixedConcurrency = options.maxConcurrent === undefined ? null : Math.max(1, Math.floor(options.maxConcurrent))
    this.#maxConcurrent = this.#fixedConcurrency ?? ADAPTIVE_CONCURRENCY.min
  }

  /**
   * Start-up. Does not call onStatus (the host has these statuses already; read `snapshot()` for
   * the computed renewAt). Action-needed and sign-in-needed count as already notified, so a
   * restart does not raise the notification again. Overdue renewals start on the next tick, not
   * inside this call.
   */
  load(statuses: Iterable<TokenStatus>): void {
    if (this.#disposed) return
    const now = this.#clock.now()
    for (const loaded of statuses) {
      const previous = this.#entries.get(loaded.datasourceId)
      if (previous) this.#unschedule(previous)
      const entry: Entry = {
        id: loaded.datasourceId,
        status: loaded,
        heapSeq: 0,
        flight: null,
        notified: loaded.state === 'action-needed' || loaded.state === 'sign-in-needed',
      }
      this.#entries.set(entry.id, entry)
      entry.status = this.#initialStatus(loaded, now)
      const due = entry.status.state === 'retrying' ? entry.status.nextAttemptAt : entry.status.renewAt
      // Appended unordered and heapified once below: O(n) for the whole load.
      if (due !== null) this.#append(entry, due)
    }
    this.#heapify()
    this.#arm()
  }

  /**
   * A new token was stored (save, test, sign-in), or a config change dropped it (null). Starts a
   * new episode: idle, attempt 0, no error. An attempt still in flight is superseded: its callers
   * still get its outcome, but it no longer changes this status.
   */
  setToken(id: string, token: TokenMeta | null): void {
    if (this.#disposed) return
    const now = this.#clock.now()
    const previous = this.#entries.get(id)
    if (previous) this.#unschedule(previous)
    const entry: Entry = { id, status: notConnected(id, now), heapSeq: 0, flight: null, notified: false }
    this.#entries.set(id, entry)
    const renewAt = token ? this.#renewAtFor(token, now) : null
    this.#setStatus(entry, { token, renewAt }, now)
    if (renewAt !== null) this.#push(entry, renewAt)
    this.#arm()
  }

  /** The datasource was deleted: no more timer, and an attempt in flight no longer counts. */
  remove(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#unschedule(entry)
    this.#entries.delete(id)
    if (!this.#disposed) this.#arm()
  }

  /**
   * Renews now, or joins the attempt already in flight (all callers get the same outcome). Works
   * from any state, including action-needed and sign-in-needed. Never rejects.
   */
  renew(id: string, reason: RenewalReason, options: RenewOptions = {}): Promise<RenewalOutcome> {
    if (this.#disposed) {
      return Promise.resolve({ ok: false, error: appError('cancelled', 'disposed', 'Token renewal has stopped.') })
    }
    const entry = this.#entries.get(id)
    if (!entry) {
      return Promise.resolve({
        ok: false,
        error: appError('not-found', 'datasource-not-found', 'This datasource does not exist (any more).'),
      })
    }
    if (entry.flight) {
      // A sign-in waits for the renewal in flight, then runs its own request: one at a time.
      if (!options.perform) return entry.flight.promise
      return entry.flight.promise.then(() => this.renew(id, reason, options))
    }
    const promise = this.#start(entry, reason, false, options)
    this.#arm()
    return promise
  }

  /**
   * After sleep/resume or a clock change: timers measure elapsed time, not the wall clock, so the
   * armed one may be far off. Re-arms for the earliest deadline against clock.now(); overdue
   * renewals start on the next tick, at most `maxConcurrent` at a time.
   */
  recheck(): void {
    if (this.#disposed) return
    // Deadlines already passed now were missed while asleep: their renewals say 'resume'.
    this.#resumedAt = this.#clock.now()
    this.#clearTimer()
    this.#arm()
  }

  status(id: string): TokenStatus | undefined {
    return this.#entries.get(id)?.status
  }

  snapshot(): ReadonlyArray<TokenStatus> {
    return Array.from(this.#entries.values(), (entry) => entry.status)
  }

  /** Timer-driven renewals in flight now (at most `concurrency`). */
  get inFlight(): number {
    return this.#timerDrivenInFlight
  }

  /** The current limit of timer-driven renewals in flight at once. */
  get concurrency(): number {
    return this.#maxConcurrent
  }

  dispose(): void {
    this.#disposed = true
    this.#clearTimer()
    this.#heap = []
    this.#liveItems = 0
    for (const entry of this.#entries.values()) entry.heapSeq = 0
  }

  #initialStatus(loaded: TokenStatus, now: number): TokenStatus {
    const base = { ...loaded, updatedAt: now }
    switch (loaded.state) {
      case 'action-needed':
      case 'sign-in-needed':
        return { ...base, renewAt: null, nextAttemptAt: null }
      case 'retrying': {
        const nextAttemptAt = loaded.nextAttemptAt ?? now
        return { ...base, renewAt: nextAttemptAt, nextAttemptAt }
      }
      case 'renewing':
        // Another process is renewing it now (leftover states were read as idle: leftover-renewing.ts).
        // No flight of ours will settle it: due at once, our renewal waits for that process's
        // lease and takes the token it stores.
        return { ...base, state: 'idle', renewAt: loaded.token ? now : null, nextAttemptAt: null }
      case 'idle':
        // Recomputed rather than trusted, so a stale stored renewAt cannot outlive its token.
        return { ...base, renewAt: this.#renewalTimeOf(loaded.token), nextAttemptAt: null }
    }
  }

  /**
   * If a renewal takes longer than the token lives, renewalTime is already past when it returns;
   * the floor keeps that from becoming a loop of back-to-back requests.
   */
  #renewAtFor(token: TokenMeta, now: number): number | null {
    const at = this.#renewalTimeOf(token)
    return at === null ? null : Math.max(at, now + RENEWAL.minIntervalMs)
  }

  /** Whole milliseconds, so stored and displayed deadlines are plain timestamps. */
  #renewalTimeOf(token: TokenMeta | null): number | null {
    const at = token ? renewalTime(token, this.#options.random()) : null
    return at === null ? null : Math.ceil(at)
  }

  #start(entry: Entry, reason: RenewalReason, timerDriven: boolean, options: RenewOptions = {}): Promise<RenewalOutcome> {
    const restore = options.quiet ? entry.status : null
    this.#unscheduleTimer(entry)
    if (timerDriven) this.#timerDrivenInFlight++
    this.#setStatus(entry, { state: 'renewing', renewAt: null, nextAttemptAt: null }, this.#clock.now())
    // The flight is registered before perform runs, so a renew() that perform itself triggers
    // joins it instead of starting a second request.
    let resolve!: (outcome: RenewalOutcome) => void
    const flight: Flight = { promise: new Promise<RenewalOutcome>((settle) => (resolve = settle)), restore }
    entry.flight = flight
    const perform = options.perform ?? (() => this.#options.perform(entry.id, reason))
    void this.#run(entry, flight, perform, timerDriven).then(resolve, (error: unknown) => {
      // Only a host-supplied function (random, a logger) can get here; callers still get an answer.
      this.#log('renewal bookkeeping threw', entry.id, error)
      resolve({ ok: false, error: internalError() })
    })
    return flight.promise
  }

  /** Never rejects: a throwing perform becomes a transient internal error, retried with backoff. */
  async #run(entry: Entry, flight: Flight, perform: () => Promise<RenewalOutcome>, timerDriven: boolean): Promise<RenewalOutcome> {
    let outcome: RenewalOutcome
    try {
      outcome = await perform()
    } catch (error) {
      this.#log('renewal threw', entry.id, error)
      // The thrown message may come from anywhere (and could carry a secret), so it is not shown.
      outcome = { ok: false, error: internalError() }
    }
    if (timerDriven) {
      this.#timerDrivenInFlight--
      this.#adaptConcurrency()
    }
    // Superseded by setToken/remove (a new entry object) or a newer attempt: callers still get
    // the outcome, but the status belongs to whatever replaced it.
    if (!this.#disposed && this.#entries.get(entry.id) === entry && entry.flight === flight) {
      entry.flight = null
      if (flight.restore && !outcome.ok && !outcome.superseded) this.#restore(entry, flight.restore)
      else this.#settle(entry, outcome)
    }
    // Overdue work continues from a fresh timer tick rather than from here, so a run of instant
    // answers cannot chain renewals in one microtask loop and starve the event loop.
    this.#arm()
    return outcome
  }

  /** A quiet flight failed: the status and its deadline are as before it started. */
  #restore(entry: Entry, before: TokenStatus): void {
    const { datasourceId: _id, updatedAt: _at, ...status } = before
    this.#setStatus(entry, status, this.#clock.now())
    const due = before.state === 'retrying' ? before.nextAttemptAt : before.renewAt
    if (due !== null) this.#push(entry, due)
  }

  #settle(entry: Entry, outcome: RenewalOutcome): void {
    const now = this.#clock.now()
    if (outcome.ok) {
      entry.notified = false
      const renewAt = this.#renewAtFor(outcome.token, now)
      this.#setStatus(entry, { state: 'idle', token: outcome.token, renewAt, nextAttemptAt: null, attempt: 0, lastError: null }, now)
      if (renewAt !== null) this.#push(entry, renewAt)
      return
    }
    if (outcome.superseded) {
      entry.notified = false
      const renewAt = outcome.token ? this.#renewAtFor(outcome.token, now) : null
      this.#setStatus(entry, { state: 'idle', token: outcome.token, renewAt, nextAttemptAt: null, attempt: 0, lastError: null }, now)
      if (renewAt !== null) this.#push(entry, renewAt)
      return
    }
    const { error } = outcome
    const attempt = entry.status.attempt + 1
    const recorded = outcome.token ? { token: outcome.token } : {}
    if (error.transient) {
      const nextAttemptAt = now + backoffDelay(attempt, this.#options.random(), error.retryAfterMs)
      this.#setStatus(entry, { ...recorded, state: 'retrying', renewAt: nextAttemptAt, nextAttemptAt, attempt, lastError: error }, now)
      this.#push(entry, nextAttemptAt)
      this.#callback(() => this.#options.onAttemptFailed?.(entry.id, error, attempt), entry.id)
      return
    }
    const signInNeeded = error.kind === 'sign-in-needed'
    this.#setStatus(
      entry,
      { ...recorded, state: signInNeeded ? 'sign-in-needed' : 'action-needed', renewAt: null, nextAttemptAt: null, attempt, lastError: error },
      now,
    )
    this.#callback(() => this.#options.onAttemptFailed?.(entry.id, error, attempt), entry.id)
    if (!entry.notified) {
      entry.notified = true
      this.#callback(() => this.#options.onPermanentFailure(entry.id, error), entry.id)
    }
  }

  #setStatus(entry: Entry, change: Partial<Omit<TokenStatus, 'datasourceId' | 'updatedAt'>>, now: number): void {
    entry.status = { ...entry.status, ...change, updatedAt: now }
    const status = entry.status
    this.#callback(() => this.#options.onStatus(status), entry.id)
  }

  /** Starts due renewals while below the concurrency limit, earliest first, then re-arms. Only the timer calls it. */
  #pump(): void {
    const now = this.#clock.now()
    while (this.#timerDrivenInFlight < this.#maxConcurrent) {
      const top = this.#peek()
      if (!top || top.at > now) break
      this.#pop()
      const entry = this.#entries.get(top.id)
      if (!entry) continue
      entry.heapSeq = 0
      this.#liveItems--
      if (entry.flight) continue
      // Fire and forget: a flight always settles with an outcome, never a rejection (#start).
      void this.#start(entry, top.at <= this.#resumedAt ? 'resume' : 'timer', true)
    }
    this.#arm()
  }

  #adaptConcurrency(): void {
    if (this.#fixedConcurrency !== null || this.#disposed) return
    const top = this.#peek()
    const behind = top !== undefined && top.at <= this.#clock.now()
    this.#maxConcurrent = Math.min(ADAPTIVE_CONCURRENCY.max, Math.max(ADAPTIVE_CONCURRENCY.min, this.#maxConcurrent + (behind ? 1 : -1)))
  }

  #onTimer(): void {
    this.#timer = null
    this.#timerFor = null
    if (!this.#disposed) this.#pump()
  }

  /**
   * Keeps exactly one timer, for the earliest live deadline; none when nothing is scheduled, or
   * when the earliest is overdue but the limit is reached (a finishing renewal pumps instead).
   */
  #arm(): void {
    if (this.#disposed) return
    this.#compactIfMostlyStale()
    const top = this.#peek()
    const now = this.#clock.now()
    if (!top || (top.at <= now && this.#timerDrivenInFlight >= this.#maxConcurrent)) {
      this.#clearTimer()
      return
    }
    if (this.#timer !== null && this.#timerFor === top.at) return
    this.#clearTimer()
    const delay = Math.min(Math.max(0, Math.ceil(top.at - now)), MAX_TIMER_DELAY_MS)
    this.#timerFor = top.at
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(), delay)
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer)
    this.#timer = null
    this.#timerFor = null
  }

  #unschedule(entry: Entry): void {
    this.#unscheduleTimer(entry)
    // A superseded flight settles against an entry that is no longer current, so it is ignored.
    entry.flight = null
  }

  #unscheduleTimer(entry: Entry): void {
    if (entry.heapSeq !== 0) {
      entry.heapSeq = 0
      this.#liveItems--
    }
  }

  #callback(call: () => void, id: string): void {
    try {
      call()
    } catch (error) {
      this.#log('renewal callback threw', id, error)
    }
  }

  #log(message: string, id: string, error: unknown): void {
    try {
      this.#options.logger?.error(message, { datasourceId: id, error: error instanceof Error ? error.name : typeof error })
    } catch {
      // A broken logger must not stop renewal.
    }
  }

  // --- the heap -------------------------------------------------------------------------------

  #push(entry: Entry, at: number): void {
    this.#append(entry, at)
    this.#siftUp(this.#heap.length - 1)
  }

  #append(entry: Entry, at: number): void {
    this.#unscheduleTimer(entry)
    const seq = ++this.#seq
    entry.heapSeq = seq
    this.#liveItems++
    this.#heap.push({ at, seq, id: entry.id })
  }

  #isLive(item: HeapItem): boolean {
    return this.#entries.get(item.id)?.heapSeq === item.seq
  }

  #peek(): HeapItem | undefined {
    for (let top = this.#heap[0]; top; top = this.#heap[0]) {
      if (this.#isLive(top)) return top
      this.#pop()
    }
    return undefined
  }

  #pop(): HeapItem | undefined {
    const heap = this.#heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last) {
      heap[0] = last
      this.#siftDown(0)
    }
    return top
  }

  /** Rebuilds without stale items once they outnumber live ones, so churn cannot grow memory. */
  #compactIfMostlyStale(): void {
    if (this.#heap.length <= 64 || this.#heap.length <= 2 * this.#liveItems) return
    this.#heap = this.#heap.filter((item) => this.#isLive(item))
    this.#heapify()
  }

  #heapify(): void {
    for (let index = (this.#heap.length >> 1) - 1; index >= 0; index--) this.#siftDown(index)
  }

  #siftUp(index: number): void {
    const heap = this.#heap
    const item = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (!before(item, parent)) break
      heap[index] = parent
      index = parentIndex
    }
    heap[index] = item
  }

  #siftDown(index: number): void {
    const heap = this.#heap
    const item = heap[index]!
    for (;;) {
      let childIndex = 2 * index + 1
      if (childIndex >= heap.length) break
      const right = childIndex + 1
      if (right < heap.length && before(heap[right]!, heap[childIndex]!)) childIndex = right
      const child = heap[childIndex]!
      if (!before(child, item)) break
      heap[index] = child
      index = childIndex
    }
    heap[index] = item
  }
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function internalError(): AppError {
  // The scheduler retries; a command (one attempt) says so in its own words.
  return appError('internal', 'renewal-threw', 'Token renewal failed unexpectedly.', { transient: true, hint: 'The app retries on its own.', cliHint: 'Run the command again.' })
}
