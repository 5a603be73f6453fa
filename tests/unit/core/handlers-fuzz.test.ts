/**
 * Property-based fuzzing of every IPC channel's handler (issue 5, "Hostile input"), on a real core:
 * SQLite in a temp folder, the in-memory secret store, and a fetch that fails the test if it is
 * ever called. For every payload a compromised renderer could send, the handler resolves (never
 * rejects, never hangs) to a typed Result that survives structured clone; an invalid payload gets
 * a 'validation' error of bounded size; Object.prototype stays clean; nothing is stored.
 */
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, DATABASE_FILE, type Core } from '../../../electron/core/core'
import { systemClock, type CoreEvent, type Logger } from '../../../electron/core/deps'
import type { AppErrorKind, Result } from '../../../shared/errors'
import { ipcContract, ipcMethods, type IpcMethod } from '../../../shared/ipc'
import { hostilePayload, shortReport, validPayload } from '../../support/hostile-payloads'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

const RUNS_PER_CHANNEL = 200
/** Generous: a handler that needs this long for a refused payload is hanging. */
const CALL_LIMIT_MS = 5_000
/** A validation error is a few field messages; it must not echo a megabyte of hostile input. */
const MAX_RESULT_BYTES = 64 * 1024

const ERROR_KINDS: ReadonlyArray<AppErrorKind> = ['validation', 'insecure-url', 'oauth', 'invalid-response', 'network', 'keychain', 'not-found', 'conflict', 'cancelled', 'storage', 'internal']

const prototypes = { object: Object.prototype, array: Array.prototype, function: Function.prototype, string: String.prototype }
const prototypeSnapshot = (): Record<string, string[]> =>
  Object.fromEntries(Object.entries(prototypes).map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]))

let core: Core
let temp: ReturnType<typeof makeTempDir>
let reader: Database.Database
const secretStore = new MemorySecretStore()
const fetchCalls: unknown[] = []
const events: CoreEvent[] = []
const logged: Array<{ level: string; message: string }> = []
const baseline = prototypeSnapshot()

const logger: Logger = {
  info: (message) => void logged.push({ level: 'info', message }),
  warn: (message) => void logged.push({ level: 'warn', message }),
  error: (message) => void logged.push({ level: 'error', message }),
}

/** Rows in every table of ours (the migration bookkeeping excepted). */
function storedRows(): Record<string, number> {
  const tables = reader
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_migrations', 'database_identity')")
    .all() as Array<{ name: string }>
  return Object.fromEntries(tables.map(({ name }) => [name, (reader.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]))
}

async function callWithin(method: IpcMethod, payload: unknown): Promise<Result<unknown>> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${method} did not answer within ${CALL_LIMIT_MS} ms`)), CALL_LIMIT_MS)
  })
  try {
    const handler = core.handlers[method] as (payload: unknown) => Promise<Result<unknown>>
    return await Promise.race([handler(payload), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function isValid(method: IpcMethod, payload: unknown): boolean {
  return ipcContract[method].payload.safeParse(payload ?? {}).success
}

/** The assertions every single call must pass, valid payload or not. */
function expectTypedResult(result: Result<unknown>): void {
  expect(typeof result).toBe('object')
  expect(typeof result.ok).toBe('boolean')
  if (!result.ok) {
    expect(ERROR_KINDS).toContain(result.error.kind)
    expect(typeof result.error.code).toBe('string')
    expect(typeof result.error.message).toBe('string')
  }
  // What Electron does to a result on its way to the renderer.
  expect(() => structuredClone(result)).not.toThrow()
  expect(JSON.stringify(result).length).toBeLessThan(MAX_RESULT_BYTES)
}

function expectNothingStored(): void {
  for (const [table, rows] of Object.entries(storedRows())) expect(rows, table).toBe(0)
  expect([...secretStore.values.keys()]).toEqual([])
  expect(fetchCalls).toEqual([])
}

function expectPrototypesClean(): void {
  expect(prototypeSnapshot()).toEqual(baseline)
  const probe = {} as Record<string, unknown>
  for (const name of ['polluted', 'isAdmin', 'then']) expect(probe[name], name).toBeUndefined()
}

describe('IPC handlers under hostile payloads', () => {
  beforeAll(async () => {
    temp = makeTempDir('dsd-fuzz-')
    core = await createCore({
      dataDir: temp.dir,
      secretStore,
      fetch: async (input) => {
        fetchCalls.push(String(input))
        throw new Error('fetch must not be called for a refused payload')
      },
      clock: systemClock,
      notify: (event) => events.push(event),
      logger,
    })
    reader = new Database(join(temp.dir, DATABASE_FILE), { readonly: true, fileMustExist: true })
  })

  afterAll(async () => {
    reader?.close()
    await core?.close()
    temp?.cleanup()
  })

  it('starts from an empty store, which the checks below can see into', () => {
    expect(Object.keys(storedRows())).toEqual(expect.arrayContaining(['datasources', 'tokens', 'history']))
    expectNothingStored()
  })

  it.each(ipcMethods)('%s: every hostile payload gets a typed Result, nothing is stored, nothing is fetched', async (method) => {
    let invalidSeen = 0
    await fc.assert(
      fc.asyncProperty(hostilePayload(method), async (payload) => {
        const valid = isValid(method, payload)
        // A mutation that happens to stay valid would legitimately save or fetch; those paths have
        // their own tests. (listDatasources and friends answer valid payloads without side effects.)
        fc.pre(!(valid && (method === 'saveDatasource' || method === 'testConnection' || method === 'tryOtherClientAuth' || method === 'discoverIssuer')))
        const result = await callWithin(method, payload)
        expectTypedResult(result)
        if (!valid) {
          invalidSeen += 1
          expect(result.ok).toBe(false)
          if (!result.ok) {
            expect(result.error.kind).toBe('validation')
            expect(result.error.code).toBe('invalid-input')
            expect(Array.isArray(result.error.fieldIssues)).toBe(true)
          }
        }
        expectPrototypesClean()
        expectNothingStored()
      }),
      { numRuns: RUNS_PER_CHANNEL, interruptAfterTimeLimit: 60_000, reporter: shortReport },
    )
    // The generator must mostly produce refused payloads, or this test proves little.
    expect(invalidSeen).toBeGreaterThan(RUNS_PER_CHANNEL / 2)
  })

  it('never logged a handler failure, and pushed no event to the window', () => {
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([])
    expect(events).toEqual([])
  })

  it('does store a valid save, so the emptiness checks above would have seen a leak', async () => {
    const result = await callWithin('saveDatasource', { input: validPayload('saveDatasource').input })
    expect(result.ok).toBe(true)
    expect(storedRows().datasources).toBe(1)
    expect(secretStore.values.size).toBeGreaterThan(0)
    expect(fetchCalls).toEqual([])
  })
})
