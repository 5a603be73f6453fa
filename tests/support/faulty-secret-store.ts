/**
 * A SecretStore wrapper that injects faults at one step of a save or a renewal, around a real
 * store (the keyring in integration tests):
 * - "fail": the call throws a KeychainError before reaching the keychain (a keychain write fails);
 * - "crash-after": the call reaches the keychain, then never returns, as if the process died right
 *   after that step; the test then abandons the core and opens a new one over the same files.
 */
import { KeychainError, parseSecretAccount, type SecretKind, type SecretStore } from '../../electron/core/secrets/secret-store'
import type { Secret } from '../../electron/core/secrets/secret'

export type FaultyOperation = 'set' | 'delete'

export interface Fault {
  readonly operation: FaultyOperation
  readonly kind: SecretKind
  readonly action: 'fail' | 'crash-after'
}

export class FaultySecretStore implements SecretStore {
  /** Every write and delete that reached the keychain, as "set <account>" / "delete <account>". */
  readonly log: string[] = []
  #fault: Fault | null = null
  #reached: (() => void) | null = null

  constructor(readonly inner: SecretStore) {}

  /** Arms one fault; resolves when the faulty step is reached. */
  inject(fault: Fault): Promise<void> {
    this.#fault = fault
    return new Promise((resolve) => (this.#reached = resolve))
  }

  get(account: string): Promise<Secret | null> {
    return this.inner.get(account)
  }

  accounts(): Promise<ReadonlyArray<string>> {
    return this.inner.accounts()
  }

  set(account: string, value: Secret): Promise<void> {
    return this.#step('set', account, () => this.inner.set(account, value))
  }

  delete(account: string): Promise<boolean> {
    return this.#step('delete', account, () => this.inner.delete(account))
  }

  async #step<T>(operation: FaultyOperation, account: string, run: () => Promise<T>): Promise<T> {
    const fault = this.#fault
    const hit = fault !== null && fault.operation === operation && parseSecretAccount(account)?.kind === fault.kind
    if (hit) this.#fault = null
    if (hit && fault.action === 'fail') {
      this.#reached?.()
      throw new KeychainError('injected keychain write failure', 'failed')
    }
    const result = await run()
    this.log.push(`${operation} ${account}`)
    if (hit) {
      this.#reached?.()
      // The process "dies" here: the caller never sees this step finish.
      return new Promise<never>(() => {})
    }
    return result
  }
}
