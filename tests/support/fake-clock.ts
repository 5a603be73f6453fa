import type { Clock, TimerHandle } from '../../electron/core/deps'

/** Node clamps longer delays to 1 ms (with a warning), which would turn a long sleep into a busy loop. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

const MAX_TIMERS_AT_ONE_INSTANT = 10_000

interface FakeTimer {
  readonly id: number
  /** On the monotonic axis, like Node's timers: a wall-clock jump does not move it. */
  readonly dueMono: number
  readonly callback: () => void
}

/**
 * A Clock that only moves when a test says so. Wall time (`now()`) and the timers' monotonic time
 * are kept apart so a test can model a system sleep or a clock change: `jump()` moves the wall
 * clock while pending timers keep their remaining delay, as real timers do across a suspend.
 */
export class FakeClock implements Clock {
  #wall: number
  #mono = 0
  #nextId = 1
  readonly #timers = new Map<number, FakeTimer>()
  #lastFiredAt = Number.NaN
  #firedAtSameTime = 0

  /** Calls of setTimeout / clearTimeout since construction or `resetCounts()`. */
  setTimeoutCalls = 0
  clearTimeoutCalls = 0
  /** The most timers pending at any one moment since construction or `resetCounts()`. */
  maxPending = 0

  constructor(start = Date.UTC(2025, 0, 6, 9, 0, 0)) {
    this.#wall = start
  }

  now(): number {
    return this.#wall
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    if (!(ms <= MAX_TIMER_DELAY_MS)) throw new RangeError(`timer delay ${ms} ms is above what setTimeout supports`)
    this.setTimeoutCalls++
    const id = this.#nextId++
    this.#timers.set(id, { id, dueMono: this.#mono + Math.max(0, ms), callback })
    this.maxPending = Math.max(this.maxPending, this.#timers.size)
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    this.clearTimeoutCalls++
    this.#timers.delete(handle as number)
  }

  get pending(): number {
    return this.#timers.size
  }

  /** Milliseconds until the next timer fires, or null when none is pending. */
  get nextDelay(): number | null {
    const next = this.#nextTimer(Number.POSITIVE_INFINITY)
    return next ? next.dueMono - this.#mono : null
  }

  resetCounts(): void {
    this.setTimeoutCalls = 0
    this.clearTimeoutCalls = 0
    this.maxPending = this.#timers.size
  }

  /** Moves time forward, running every timer that falls due, in due order, at its own time. */
  advance(ms: number): void {
    const targetMono = this.#mono + ms
    for (let timer = this.#nextTimer(targetMono); timer; timer = this.#nextTimer(targetMono)) {
      this.#fire(timer)
    }
    this.#moveTo(targetMono)
  }

  /**
   * Like `advance`, but lets promise callbacks run before each timer and at the end, so async
   * work started by one timer (a renewal finishing) can schedule the next one in time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const targetMono = this.#mono + ms
    await flushPromises()
    for (let timer = this.#nextTimer(targetMono); timer; timer = this.#nextTimer(targetMono)) {
      this.#fire(timer)
      await flushPromises()
    }
    this.#moveTo(targetMono)
    await flushPromises()
  }

  /** The wall clock changes (sleep/resume, NTP, the user) while pending timers do not move. */
  jump(ms: number): void {
    this.#wall += ms
  }

  #fire(timer: FakeTimer): void {
    // Zero-delay timers re-arming forever would otherwise hang the test instead of failing it.
    if (timer.dueMono === this.#lastFiredAt) {
      if (++this.#firedAtSameTime > MAX_TIMERS_AT_ONE_INSTANT) throw new Error('timer loop: too many timers fired at one instant')
    } else {
      this.#lastFiredAt = timer.dueMono
      this.#firedAtSameTime = 1
    }
    this.#moveTo(timer.dueMono)
    this.#timers.delete(timer.id)
    timer.callback()
  }

  #moveTo(mono: number): void {
    this.#wall += mono - this.#mono
    this.#mono = mono
  }

  #nextTimer(limitMono: number): FakeTimer | undefined {
    let next: FakeTimer | undefined
    for (const timer of this.#timers.values()) {
      // Map order is insertion order, so equal due times fire first-come first-served.
      if (timer.dueMono <= limitMono && (!next || timer.dueMono < next.dueMono)) next = timer
    }
    return next
  }
}

/** Resolves once every promise callback queued so far (and those they queue) has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
