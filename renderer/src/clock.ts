/**
 * Shared "now"s for what is on screen. A single 1 s interval runs while at least one component uses
 * the fast clock; only those small components re-render on a tick, never the whole list (issue 3:
 * a countdown that does not re-render the whole list every second). The list pane's grouping and
 * sorting use the slow clock: a token that expires moves to "Need you" within seconds, without
 * re-rendering forty rows every second.
 */
import { getCurrentScope, onScopeDispose, readonly, ref, type Ref } from 'vue'

interface Ticker {
  readonly now: Ref<number>
  users: number
  timer: ReturnType<typeof setInterval> | undefined
}

function ticker(): Ticker {
  return { now: ref(Date.now()), users: 0, timer: undefined }
}

const fast = ticker()
const slow = ticker()

function use(clock: Ticker, intervalMs: number): Readonly<Ref<number>> {
  if (getCurrentScope()) {
    if (clock.users++ === 0) {
      clock.now.value = Date.now()
      clock.timer = setInterval(() => {
        clock.now.value = Date.now()
      }, intervalMs)
    }
    onScopeDispose(() => {
      if (--clock.users === 0 && clock.timer !== undefined) {
        clearInterval(clock.timer)
        clock.timer = undefined
      }
    })
  }
  return readonly(clock.now)
}

/** The current time in ms, ticking each second while a caller's scope is alive. */
export function useNow(): Readonly<Ref<number>> {
  return use(fast, 1000)
}

/** The current time in ms, ticking every 10 s: for grouping and sorting, not for countdowns. */
export function useSlowNow(): Readonly<Ref<number>> {
  return use(slow, 10_000)
}
