/**
 * Branded identifiers (issue 12): a datasource id, a test id and plain text are different types, so
 * that a name, a keychain account or the other id cannot be passed where one is meant. The brand is
 * zod's (a type only: this file loads nothing), the one `.brand<'DatasourceId'>()` and
 * `.brand<'TestId'>()` give the IPC schemas in datasource.ts and ipc.ts, so a parsed payload carries
 * these types.
 */
import type { z } from 'zod'

/** A datasource, named by the core when it is created (UUID v4). */
export type DatasourceId = string & z.$brand<'DatasourceId'>

/** A Test connection run, named by the renderer so that it can cancel it and later save its token. */
export type TestId = string & z.$brand<'TestId'>

export function newDatasourceId(): DatasourceId {
  return globalThis.crypto.randomUUID() as DatasourceId
}

/** Text known to be a datasource id: read back from SQLite's datasources table, or a test's fixture. */
export function asDatasourceId(value: string): DatasourceId {
  return value as DatasourceId
}

export function newTestId(): TestId {
  return globalThis.crypto.randomUUID() as TestId
}
