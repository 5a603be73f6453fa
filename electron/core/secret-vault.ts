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
 *
 * Tokens go through `stageTokens`: the token writes of renewals that finish while another one is
 * being written are coalesced into one token bundle (token-bundle.ts), one keychain item that
 * many datasources point to, each at its entry. A bundle keeps its secret_writes row until every
 * datasource it was written for has committed or given up, and is released only when the last
 * pointer to it moves: until then no process marks it for deletion.
 */
import { randomBytes } from 'node:crypto'
import type { DatasourceRepository } from './db/datasource-repository'
import type { Clock, Logger } from './deps'
import { holderGone } from './process-holder'
import { Secret } from './secrets/secret'
import { KeychainError, accountDatabaseId, lockProbeHolder, parseSecretAccount, tokenBundleAccount, versionedSecretAccount, type SecretKind, type SecretStore } from './secrets/secret-store'
import { bundleEntryBytes, bundleEntryKey, encodeBundle, MAX_BUNDLE_BYTES, MAX_BUNDLE_DATASOURCES, readBundleEntry } from './token-bundle'

/** A secret written to its new account, not yet pointed to by SQLite. */
export interface StagedSecret {
  readonly datasourceId: string
  readonly kind: SecretKind
  readonly account: string
  /** The entry's key when `account` is a token bundle shared with other datasources. */
  readonly entry?: string
}

/** A bundle written for several datasources, until each of them has committed or given up. */
interface StagedBundle {
  readonly account: string
  outstanding: number
}

/** A datasource's tokens waiting for the next bundle write. */
interface PendingTokens {
  readonly datasourceId: string
  readonly values: ReadonlyMap<SecretKind, Secret>
  readonly bytes: number
  readonly resolve: (staged: StagedSecret[]) => void
  readonly reject: (error: unknown) => void
}

/** Bundles whose entries a process remembers (those written last); older ones are read from the keychain. */
const MAX_KNOWN_BUNDLES = 256

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
  readonly #pendingTokens: PendingTokens[] = []
  #tokenWrites: Promise<void> | null = null
  readonly #bundles = new Map<string, StagedBundle>()
  /**
   * The entries of the bundles this process wrote, newest last, in memory only: an account is
   * never written twice (a change goes to a new one), so what SQLite points to in one of them is
   * known without asking the keychain, whose reads wait behind its writes under load.
   */
  readonly #writtenBundles = new Map<string, ReadonlyMap<string, string>>()

  constructor(deps: SecretVaultDeps) {
    this.#deps = deps
  }

  /** The current value of a secret; null when none is stored. Rejects with KeychainError. */
  async read(datasourceId: string, kind: SecretKind): Promise<Secret | null> {
    const pointer = this.#deps.repo.secretPointer(datasourceId, kind)
    if (pointer === null) return null
    const known = pointer.entry === null ? undefined : this.#writtenBundles.get(pointer.account)?.get(pointer.entry)
    if (known !== undefined) return new Secret(known)
    const value = await this.#deps.secrets.get(pointer.account)
    if (value === null || pointer.entry === null) return value
    const entry = readBundleEntry(value.reveal(), pointer.entry)
    return entry === null ? null : new Secret(entry)
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
   * Writes a datasource's tokens like `stage`, coalesced with the tokens of every other datasource
   * whose write arrives while one is in flight: one keychain item (a bundle) for all of them, or
   * the datasource's own accounts when it is alone. Each caller then points and commits (or
   * discards) its entries on its own, with its own revision check. Rejects with KeychainError.
   */
  stageTokens(datasourceId: string, values: ReadonlyMap<SecretKind, Secret>): Promise<StagedSecret[]> {
    if (values.size === 0) return Promise.resolve([])
    let bytes = 0
    for (const [kind, value] of values) bytes += bundleEntryBytes(bundleEntryKey(datasourceId, kind), value.reveal())
    return new Promise((resolve, reject) => {
      this.#pendingTokens.push({ datasourceId, values, bytes, resolve, reject })
      // A microtask, so that writes arriving in the same turn go together; later ones queue
      // behind the write in flight and go in the next bundle.
      if (!this.#tokenWrites) this.#tokenWrites = Promise.resolve().then(() => this.#writeTokens())
    })
  }

  async #writeTokens(): Promise<void> {
    try {
      while (this.#pendingTokens.length > 0) {
        const batch = this.#takeTokenBatch()
        // Whatever fails unexpectedly (the database id read) fails its writers, never hangs them.
        await this.#writeTokenBatch(batch).catch((error: unknown) => {
          for (const pending of batch) pending.reject(error)
        })
      }
    } finally {
      this.#tokenWrites = null
    }
  }

  #takeTokenBatch(): PendingTokens[] {
    const batch: PendingTokens[] = []
    let bytes = 0
    while (this.#pendingTokens.length > 0 && batch.length < MAX_BUNDLE_DATASOURCES) {
      const next = this.#pendingTokens[0]!
      if (batch.length > 0 && bytes + next.bytes > MAX_BUNDLE_BYTES) break
      batch.push(this.#pendingTokens.shift()!)
      bytes += next.bytes
    }
    return batch
  }

  async #writeTokenBatch(batch: ReadonlyArray<PendingTokens>): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!
      const staged: StagedSecret[] = []
      try {
        for (const [kind, value] of only.values) staged.push(await this.stage(only.datasourceId, kind, value))
      } catch (error) {
        await this.discard(staged)
        only.reject(error)
        return
      }
      only.resolve(staged)
      return
    }
    const { repo, secrets, clock, holder } = this.#deps
    const account = tokenBundleAccount(this.databaseId(), randomBytes(6).toString('hex'))
    const entries = new Map<string, string>()
    for (const { datasourceId, values } of batch) {
      for (const [kind, value] of values) entries.set(bundleEntryKey(datasourceId, kind), value.reveal())
    }
    try {
      repo.addSecretWrite(account, holder, clock.now())
    } catch (error) {
      for (const pending of batch) pending.reject(error)
      return
    }
    try {
      await secrets.set(account, new Secret(encodeBundle(entries)))
    } catch (error) {
      await this.discard([{ datasourceId: batch[0]!.datasourceId, kind: 'access-token', account }])
      for (const pending of batch) pending.reject(error)
      return
    }
    this.#bundles.set(account, { account, outstanding: batch.length })
    this.#writtenBundles.set(account, entries)
    for (const old of this.#writtenBundles.keys()) {
      if (this.#writtenBundles.size <= MAX_KNOWN_BUNDLES) break
      this.#writtenBundles.delete(old)
    }
    for (const { datasourceId, values, resolve } of batch) {
      resolve([...values.keys()].map((kind) => ({ datasourceId, kind, account, entry: bundleEntryKey(datasourceId, kind) })))
    }
  }

  /**
   * After the caller's transaction committed the pointers of `staged`: a bundle whose last
   * datasource has now committed or given up keeps no write record; if none points to it, it goes.
   */
  committed(staged: ReadonlyArray<StagedSecret>): void {
    this.#settleBundles(staged)
  }

  #settleBundles(staged: ReadonlyArray<StagedSecret>): void {
    const accounts = new Set(staged.filter((entry) => entry.entry !== undefined).map((entry) => entry.account))
    for (const account of accounts) {
      const bundle = this.#bundles.get(account)
      if (!bundle || --bundle.outstanding > 0) continue
      this.#bundles.delete(account)
      const { repo } = this.#deps
      let unused = false
      try {
        repo.transaction(() => {
          unused = !repo.isSecretAccountPointed(account)
          if (unused) repo.markSecretForDeletion(account, TO_DELETE, this.#deps.clock.now())
          else repo.clearSecretWrite(account)
        })
      } catch (error) {
        // The row stays with this process as holder: cleanUp settles it once the process is gone.
        this.#deps.logger.warn('token bundle write record not settled', { error: error instanceof Error ? error.name : typeof error })
        continue
      }
      if (unused) this.drainLater([account])
    }
  }

  /**
   * Inside the caller's transaction: points the datasource at the staged accounts and forgets the
   * removed kinds. Returns the accounts nothing points to any more; pass them to `release` once
   * the transaction has committed.
   */
  point(datasourceId: string, staged: ReadonlyArray<StagedSecret>, removed: Iterable<SecretKind> = []): string[] {
    const { repo } = this.#deps
    const previous: string[] = []
    for (const entry of staged) {
      const before = repo.secretAccount(datasourceId, entry.kind)
      repo.setSecretAccount(datasourceId, entry.kind, entry.account, entry.entry ?? null)
      // A bundle's record stays until all its datasources have settled (committed).
      if (entry.entry === undefined) repo.clearSecretWrite(entry.account)
      if (before !== null && before !== entry.account) previous.push(before)
    }
    for (const kind of removed) {
      const before = repo.secretAccount(datasourceId, kind)
      if (before === null) continue
      repo.removeSecretAccount(datasourceId, kind)
      previous.push(before)
    }
    return this.markForRelease(previous)
  }

  /**
   * Inside the caller's transaction, after its pointers moved: records the accounts that nothing
   * points to any more as due for deletion, so a process killed between the commit and `release`
   * leaves no untraceable orphan, and returns them. A bundle another datasource still points to is
   * kept, and so is one whose write is still live (its writer settles it when its last datasource
   * has committed or given up).
   */
  markForRelease(accounts: Iterable<string>): string[] {
    const { repo, clock } = this.#deps
    const now = clock.now()
    const released: string[] = []
    for (const account of new Set(accounts)) {
      if (repo.isSecretAccountPointed(account)) continue
      const write = repo.secretWrite(account)
      if (write && isLiveWrite(write, now)) continue
      repo.markSecretForDeletion(account, TO_DELETE, now)
      released.push(account)
    }
    return released
  }

  /** Takes back staged secrets that will never be pointed to (a refused or failed commit). */
  async discard(staged: ReadonlyArray<StagedSecret>): Promise<void> {
    // A bundle shared with others stays for them; the last one to give up releases it.
    this.#settleBundles(staged)
    for (const entry of staged) {
      if (entry.entry !== undefined) continue
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
      this.#writtenBundles.delete(account)
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
   * next time, or after `limit` entries. Returns how many entries it deleted.
   */
  async cleanUp(stopped: () => boolean = () => false, limit = Number.POSITIVE_INFINITY): Promise<number> {
    const { repo, secrets, clock } = this.#deps
    const now = clock.now()
    const abandoned = repo.secretWrites().filter((write) => !isLiveWrite(write, now))
    if (abandoned.length === 0) return 0
    const pointed = repo.allSecretAccounts()
    let removed = 0
    const done: string[] = []
    for (const { account } of abandoned) {
      if (stopped() || done.length >= limit) break
      if (!pointed.has(account)) {
        try {
          this.#writtenBundles.delete(account)
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
   *
   * The listing takes one turn of the maintenance queue; each delete then takes a turn of its own,
   * so what renewals release meanwhile (drainLater) is deleted between them instead of waiting
   * behind a sweep of many orphans (a slow keychain takes a second or more for each).
   */
  async sweep(): Promise<number> {
    const orphans = await this.#oneAtATime(() => this.#listOrphans())
    let removed = 0
    for (const account of orphans) {
      if (this.#stopped) return removed
      if (await this.#oneAtATime(() => this.#deleteOrphan(account))) removed++
    }
    try {
      this.#deps.repo.recordSweep(this.#deps.clock.now())
    } catch (error) {
      this.#deps.logger.warn('orphan sweep not recorded; a later check sweeps again', { error: error instanceof Error ? error.name : typeof error })
    }
    return removed
  }

  /** When the sweep last completed for this database (null: never); see orphan-sweep.ts. */
  lastSweepAt(): number | null {
    return this.#deps.repo.lastSweepAt()
  }

  /**
   * Whether a process died (or stalled) with a keychain write in progress: the item it was
   * writing may reach the keychain after the drain has looked, with nothing in SQLite to say so.
   */
  hasAbandonedWrites(): boolean {
    const now = this.#deps.clock.now()
    return this.#deps.repo.secretWrites().some((write) => write.holder !== TO_DELETE && !isLiveWrite(write, now))
  }

  async #listOrphans(): Promise<string[]> {
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
    return listed.filter((account) => {
      // A lock-probe item whose process was killed between its write and its delete (the shared
      // one of older versions has no holder). A live prober's item is its own to delete.
      const prober = lockProbeHolder(account)
      if (prober !== null) return prober === '' || holderGone(prober)
      // Nothing can point to an orphan later: only a live write's account is ever pointed to.
      return accountDatabaseId(account) === databaseId && !pointed.has(account) && !inProgress.has(account)
    })
  }

  async #deleteOrphan(account: string): Promise<boolean> {
    this.#writtenBundles.delete(account)
    const deleted = await this.#deps.secrets.delete(account)
    if (lockProbeHolder(account) === null) this.#forgetWrite(account)
    return deleted
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
