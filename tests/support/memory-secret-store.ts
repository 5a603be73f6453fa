import { Secret } from '../../electron/core/secrets/secret'
import { KeychainError, type SecretStore } from '../../electron/core/secrets/secret-store'

/**
 * An in-memory SecretStore for unit tests of code above the keychain. `unavailable = true` makes
 * every call fail the way a missing Secret Service does. Integration tests use the real keyring.
 */
export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>()
  unavailable = false
  calls = 0

  async get(account: string): Promise<Secret | null> {
    this.#check()
    const value = this.values.get(account)
    return value === undefined ? null : new Secret(value)
  }

  async set(account: string, value: Secret): Promise<void> {
    this.#check()
    this.values.set(account, value.reveal())
  }

  async delete(account: string): Promise<boolean> {
    this.#check()
    return this.values.delete(account)
  }

  async accounts(): Promise<ReadonlyArray<string>> {
    this.#check()
    return [...this.values.keys()]
  }

  #check(): void {
    this.calls++
    if (this.unavailable) throw new KeychainError('no Secret Service is running', 'unavailable')
  }
}
