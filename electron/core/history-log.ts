import type { DatasourceRepository, NewHistoryEvent } from './db/datasource-repository'
import type { Clock, Logger } from './deps'

/** A datasource's history in SQLite, mirrored to the log; a failure to store it is logged, never thrown. */
export class HistoryLog {
  readonly #repo: DatasourceRepository
  readonly #clock: Clock
  readonly #logger: Logger

  constructor(repo: DatasourceRepository, clock: Clock, logger: Logger) {
    this.#repo = repo
    this.#clock = clock
    this.#logger = logger
  }

  add(id: string, event: Omit<NewHistoryEvent, 'at'>): void {
    this.#logger.info(event.message, { datasourceId: id, kind: event.kind, grant: event.grant, attempt: event.attempt, code: event.error?.code })
    try {
      if (this.#repo.revision(id) !== undefined) this.#repo.addHistory(id, { ...event, at: this.#clock.now() })
    } catch (error) {
      this.#logger.error('history event not stored', { datasourceId: id, error: String(error) })
    }
  }
}
