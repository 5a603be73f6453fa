import { inspect } from 'node:util'

const REDACTED = '[redacted]'

/**
 * A secret value in transit inside the core. Its string, JSON and inspect forms are "[redacted]",
 * so a careless log line or error message cannot leak it; only `reveal()` gives the value, and it
 * is called only where the value is sent (the token request, the keychain).
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  get isEmpty(): boolean {
    return this.#value.length === 0
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}
