/**
 * Preloaded into the built CLI (NODE_OPTIONS="--import <this file's URL>"), so that a test can SIGKILL a
 * real command at one keychain step without any hook in the product: it wraps keytar as the CLI
 * loads it and kills the process right before or right after the Nth call of one kind.
 * DSD_KILL_AT="<before|after>:<set|delete>:<N>", e.g. "after:set:2" (the second write reached the
 * keychain, nothing after it ran). Every other call passes through unchanged.
 */
import Module from 'node:module'

const [when, operation, nth] = (process.env.DSD_KILL_AT ?? '').split(':')
const method = { set: 'setPassword', delete: 'deletePassword' }[operation]
const target = Number(nth)

if (method && (when === 'before' || when === 'after') && Number.isSafeInteger(target) && target > 0) {
  const load = Module._load
  let calls = 0
  Module._load = function loadWithKill(request, ...rest) {
    const loaded = load.call(this, request, ...rest)
    if (request !== 'keytar') return loaded
    return new Proxy(loaded, {
      get(keytar, property) {
        if (property !== method) return keytar[property]
        return async (...args) => {
          calls += 1
          if (calls === target && when === 'before') process.kill(process.pid, 'SIGKILL')
          const result = await keytar[property](...args)
          if (calls === target && when === 'after') process.kill(process.pid, 'SIGKILL')
          return result
        }
      },
    })
  }
}
