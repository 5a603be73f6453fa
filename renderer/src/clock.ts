/**
 * One shared "now" for every countdown on screen. A single 1 s interval runs while at least one
 * component uses it; only those small components re-render on a tick, never the whole list
 * (issue 3: a countdown that does not re-render the whole list every second).
 */
import { getCurrentScope, onScopeDispose, readonly, ref, type Ref } from 'vue'

const now = ref(Date.now())
let users = 0
let timer: ReturnType<typeof setInterval> | undefined

function start(): void {
  now.value = Date.now()
  timer = setInterval(() => {
    now.value = Date.now()
  }, 1000)
}

/** The current time in ms, ticking each second while a caller's scope is alive. */
export function useNow(): Readonly<Ref<number>> {
  if (getCurrentScope()) {
    if (users++ === 0) start()
    onScopeDispose(() => {
      if (--users === 0 && timer !== undefined) {
        clearInterval(timer)
        timer = undefined
      }
    })
  }
  return readonly(now)
}
