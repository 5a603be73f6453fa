/**
 * The secrets of datasources in the keychain, kept consistent with SQLite without a transaction
 * that spans both. Every write goes to a new, versioned account (never over the current one), and
 * SQLite switches its pointer (table secret_accounts) only in the caller's transaction, together
 * with the metadata that belongs to it. So a crash, a refused revision check or a failed commit
 * leaves the old, consistent pair; what was staged is deleted, or swept later.
 *
 * Accounts carry the database's id: the sweep touches only this database's own entries, never
 * those of another data folder that shares the keychain service. A write in progress is recorded
 * in SQLite (secret_writes) before it reaches the keychain, so a sweep in another process never
 * deletes an entry whose pointer is about to be committed.
 */
import { randomBytes } from 'node:crypto'
import type { DatasourceRepository } from './db/datasource-repository'
import type { Clock, Logger } from './deps'
import { holderGone } from './process-holder'
import type { Secret } from './secrets/secret'
import { KeychainError, lockProbeHolder, parseSecretAccount, versionedSecretAccount, type SecretKind, type SecretStore } from './secrets/secret-store'

/** A secret written to its new account, not yet pointed to by SQLite. */
export interface StagedSecret {
  readonly datasourceId: string
  readonly kind: SecretKind
  readonly account: string
}

/** A write in progress older than this is abandoned even if its holder still runs. */
const ABANDONED_WRITE_MS = 60 * 60_000

/**
 * The holder of a secret_writes row for an account that nothing points to any more and that is
 * due for deletion: released by a commit, discarded, or left by a keychain that refused. Any
 * process may delete it (cleanUp, sweep); no process will ever point to it again.
 */
export const TO_DELETE = 'to-delete'

export interface SecretVaultDeps {
  readonly repo: DatasourceRepository
  readonly secrets: SecretStore
  readonly clock: Clock
  readonly logger: Logger
  /** This process's name in secret_writes (see process-holder.ts). */
  readonly holder: string
  /**
   * Whether accounts a write released are deleted in the background right after it (the app,
   * default), or left marked for a process that runs longer (a command that must exit at once).
   */
  readonly drainReleased?: boolean
}

export class SecretVault {
  readonly #deps: SecretVaultDeps
  #databaseId: string | null = null
  #draining: Promise<void> | null = null
  #maintenance: Promise<void> = Promise.resolve()
  #drainAgain = false
  #stopped = false

  constructor(deps: SecretVaultDeps) {
    this.#deps = deps
  }

  /** The current value of a secret; null when none is stored. Rejects with KeychainError. */
  async read(datasourceId: string, kind: SecretKind): Promise<Secret | null> {
    const account = this.#deps.repo.secretAccount(datasourceId, kind)
    return account === null ? null : this.#deps.secrets.get(account)
  }

  /** The current account of a secret (for tests and diagnostics); null when none is stored. */
  account(datasourceId: string, kind: SecretKind): string | null {
    return this.#deps.repo.secretAccount(datasourceId, kind)
  }

  /**
   * Writes a value to a new account. Nothing points to it until `point` runs in a committed
   * transaction; until then `discard` takes it back. Rejects with KeychainError.
   */
  async stage(datasourceId: string, kind: SecretKind, value: Secret): Promise<StagedSecret> {
    const { repo, secrets, clock, holder } = this.#deps
    const account = versionedSecretAccount(this.databaseId(), datasourceId, kind, randomBytes(6).toString('hex'))
    repo.addSecretWrite(account, holder, clock.now())
    try {
      await secrets.set(account, value)
    } catch (error) {
      await this.discard([{ datasourceId, kind, account }])
      throw error
    }
    return { datasourceId, kind, account }
  }

  /**
   * Inside the caller's transaction: points the datasource at the staged accounts and forgets the
   * removed kinds. Returns the accounts nothing points to any more; pass them to `release` once
   * the transaction has committed.
   */
  point(datasourceId: string, staged: ReadonlyArray<StagedSecret>, removed: Iterable<SecretKind> = []): string[] {
    const { repo } = this.#deps
    const released: string[] = []
    for (const entry of staged) {
      const previous = repo.secretAccount(datasourceId, entry.kind)
      repo.setSecretAccount(datasourceId, entry.kind, entry.account)
      repo.clearSecretWrite(entry.account)
      if (previous !== null && previous !== entry.account) released.push(previous)
    }
    for (const kind of removed) {
      const previous = repo.secretAccount(datasourceId, kind)
      if (previous === null) continue
      repo.removeSecretAccount(datasourceId, kind)
      released.push(previous)
    }
    this.markForRelease(released)
    return released
  }

  /**
   * Inside the caller's transaction: records accounts that lose their pointer in it as due for
   * deletion, so a process killed between the commit and `release` leaves no untraceable orphan.
   */
  markForRelease(accounts: Iterable<string>): void {
    const now = this.#deps.clock.now()
    for (const account of accounts) this.#deps.repo.markSecretForDeletion(account, TO_DELETE, now)
  }

  /** Takes back staged secrets that will never be pointed to (a refused or failed commit). */
  async discard(staged: ReadonlyArray<StagedSecret>): Promise<void> {
    for (const entry of staged) {
      const deleted = await this.#deps.secrets.delete(entry.account).then(
        () => true,
        () => false,
      )
      // If the keychain refused, the record says so, and any later process retries (cleanUp).
      if (deleted) this.#forgetWrite(entry.account)
      else this.#markForDeletion(entry.account)
    }
  }

  /**
   * Deletes accounts that nothing points to any more; what fails now is left to the sweep and
   * returned. Once the keychain is locked, gone or silent, the rest are not tried: each would wait
   * for the same timeout and fail the same way. Once `stopped` says so (the core closed: its
   * database is closed, and another core on the folder may be sweeping, whose listing a late
   * delete would break) nothing more is deleted or recorded; the accounts stay as their commit
   * marked them, for the next drain, sweep or command.
   */
  async release(accounts: Iterable<string>, stopped: () => boolean = () => false): Promise<string[]> {
    const notDeleted: string[] = []
    const deleted: string[] = []
    let keychainDown = false
    for (const account of accounts) {
      if (keychainDown || stopped()) {
        notDeleted.push(account)
        continue
      }
      try {
        await this.#deps.secrets.delete(account)
        deleted.push(account)
      } catch (error) {
        notDeleted.push(account)
        keychainDown = error instanceof KeychainError && error.code !== 'failed'
        this.#deps.logger.warn('old keychain entry not deleted; a later command or start-up retries', { kind: parseSecretAccount(account)?.kind })
      }
    }
    if (stopped()) return notDeleted
    for (const account of notDeleted) this.#markForDeletion(account)
    if (deleted.length > 0) this.#forgetWrites(deleted)
    return notDeleted
  }

  /**
   * Deletes the accounts secret_writes names that nobody will commit any more: due for deletion
   * (TO_DELETE), or staged by a process that is gone (a killed `add`) or stalled for an hour. Reads
   * only this database's table and never lists the keychain, so it is cheap enough for every
   * command that changes datasources. Stops at the first keychain failure; the rest wait for the
   * next time. Returns how many entries it deleted.
   */
  async cleanUp(stopped: () => boolean = () => false): Promise<number> {
    const { repo, secrets, clock } = this.#deps
    const now = clock.now()
    const abandoned = repo.secretWrites().filter((write) => !isLiveWrite(write, now))
    if (abandoned.length === 0) return 0
    const pointed = repo.allSecretAccounts()
    let removed = 0
    const done: string[] = []
    for (const { account } of abandoned) {
      if (stopped()) break
      if (!pointed.has(account)) {
        try {
          if (await secrets.delete(account)) removed++
        } catch {
          break
        }
      }
      done.push(account)
    }
    this.#forgetWrites(done)
    return removed
  }

  /**
   * After a write that released accounts (marked in its commit): deletes them in the background,
   * so that the write does not wait for them, one account at a time and never during a sweep or a
   * drain. What is not deleted stays marked for the next drain, sweep or command.
   */
  drainLater(released: ReadonlyArray<string>): void {
    if (this.#deps.drainReleased === false || this.#stopped) return
    void this.#oneAtATime(() => this.release(released, () => this.#stopped))
  }

  /** Runs `cleanUp` until nothing marked is left, the keychain refuses, or `stop` was called. */
  drain(): Promise<void> {
    if (this.#draining) {
      this.#drainAgain = true
      return this.#draining
    }
    this.#draining = this.#oneAtATime(() => this.#drainRounds()).finally(() => {
      this.#draining = null
    })
    return this.#draining
  }

  /** Stops the background drain after its call in flight; what is left stays marked. */
  stop(): void {
    this.#stopped = true
  }

  /**
   * The sweep and the drain never run at once: both delete what nothing points to, and a delete of
   * an item the other just deleted fails in libsecret ("No such secret item") and stops the run.
   */
  #oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#maintenance.then(work)
    this.#maintenance = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  async #drainRounds(): Promise<void> {
    do {
      this.#drainAgain = false
      try {
        await this.cleanUp(() => this.#stopped)
      } catch (error) {
        this.#deps.logger.warn('released keychain entries not deleted yet', { error: error instanceof Error ? error.name : typeof error })
        return
      }
    } while (this.#drainAgain && !this.#stopped)
  }

  /**
   * Removes this database's keychain entries that no datasource points to and no live write is
   * about to: left by a crash, a killed command, or a keychain that refused a delete. Entries of
   * other databases and entries named before accounts were versioned are never touched.
   */
  sweep(): Promise<number> {
    return this.#oneAtATime(() => this.#sweep())
  }

  async #sweep(): Promise<number> {
    const { repo, secrets, clock } = this.#deps
    const databaseId = this.databaseId()
    // Listed first, SQLite read after: a write that commits in between is in one of the two sets.
    const listed = await secrets.accounts()
    const pointed = repo.allSecretAccounts()
    const now = clock.now()
    const inProgress = new Set(
      repo
        .secretWrites()
        .filter((write) => isLiveWrite(write, now))
        .map((write) => write.account),
    )
    let removed = 0
    for (const account of listed) {
      // A lock-probe item whose process was killed between its write and its delete (the shared
      // one of older versions has no holder). A live prober's item is its own to delete.
      const prober = lockProbeHolder(account)
      if (prober !== null) {
        if ((prober === '' || holderGone(prober)) && (await secrets.delete(account))) removed++
        continue
      }
      if (parseSecretAccount(account)?.databaseId !== databaseId) continue
      if (pointed.has(account) || inProgress.has(account)) continue
      if (await secrets.delete(account)) removed++
      this.#forgetWrite(account)
    }
    return removed
  }

  databaseId(): string {
    this.#databaseId ??= this.#deps.repo.databaseId()
    return this.#databaseId
  }

  #markForDeletion(account: string): void {
    try {
      this.#deps.repo.markSecretForDeletion(account, TO_DELETE, this.#deps.clock.now())
    } catch (error) {
      this.#deps.logger.warn('keychain entry to delete not recorded', { error: error instanceof Error ? error.name : typeof error })
    }
  }

  #forgetWrites(accounts: ReadonlyArray<string>): void {
    try {
      this.#deps.repo.transaction(() => {
        for (const account of accounts) this.#deps.repo.clearSecretWrite(account)
      })
    } catch (error) {
      this.#deps.logger.warn('pending keychain writes not cleared', { error: error instanceof Error ? error.name : typeof error })
    }
  }

  #forgetWrite(account: string): void {
    try {
      this.#deps.repo.clearSecretWrite(account)
    } catch (error) {
      this.#deps.logger.warn('pending keychain write not cleared', { error: error instanceof Error ? error.name : typeof error })
    }
  }
}

/** A write some live process may still commit: its holder runs and it is not stalled or due for deletion. */
function isLiveWrite(write: { readonly holder: string; readonly startedAt: number }, now: number): boolean {
  return write.holder !== TO_DELETE && !holderGone(write.holder) && now - write.startedAt < ABANDONED_WRITE_MS
}
