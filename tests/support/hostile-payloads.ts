/**
 * fast-check arbitraries for what a compromised renderer could send over IPC: anything structured
 * clone can carry (Maps, Sets, Dates, typed arrays, BigInts, sparse arrays, null-prototype
 * objects), huge strings, deep nesting, prototype-pollution keys, arrays where objects belong, and
 * well-shaped payloads with one hostile field value. Shared by the handler-level and the
 * ipcMain-level fuzz tests.
 */
import fc from 'fast-check'
import type { IpcMethod } from '../../shared/ipc'
import { passwordFormFor } from './password-form'

export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const
/** Keys that mean something to our schemas or to JavaScript, so fuzzed objects hit real code paths. */
const INTERESTING_KEYS = [...POLLUTION_KEYS, 'toString', 'valueOf', 'hasOwnProperty', 'then', 'toJSON', 'id', 'testId', 'input', 'auth', 'type', 'name', 'url', 'password', 'remember', 'action', 'value']

const MB = 1024 * 1024

/** Up to 1 MB; built by repetition so generating it costs nothing. */
export const hugeString = fc
  .tuple(fc.constantFrom(1024, 64 * 1024, MB, MB + 1), fc.constantFrom('a', ' ', '\u0000', '€', '\u{1F600}', 'https://x.example/'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))

const key = fc.oneof(fc.string(), fc.constantFrom(...INTERESTING_KEYS))

/** Anything structured clone can deliver, with dangerous keys mixed in. */
export const anyValue = fc.anything({
  key,
  maxDepth: 4,
  maxKeys: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
})

/** Objects that carry pollution keys as own properties, the way JSON.parse makes them. */
export const pollutingObject = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.constantFrom('polluted', 'isAdmin', 'toString', 'then'), anyValue)
  .map(([outer, inner, value]) =>
    outer === 'constructor'
      ? (JSON.parse(`{"constructor":{"prototype":{${JSON.stringify(inner)}:${JSON.stringify(jsonSafe(value))}}}}`) as unknown)
      : (JSON.parse(`{${JSON.stringify(outer)}:{${JSON.stringify(inner)}:${JSON.stringify(jsonSafe(value))}}}`) as unknown),
  )

/** Nested arrays or objects, deeper than any legitimate payload. */
export const deeplyNested = fc.tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean()).map(([depth, asArray]) => {
  let value: unknown = 'leaf'
  for (let level = 0; level < depth; level += 1) value = asArray ? [value] : { input: value }
  return value
})

/** An object whose key is huge (zod quotes unknown keys in its messages). */
export const hugeKeyObject = hugeString.map((name) => ({ [name]: 1 }))

const hostileValue = fc.oneof(anyValue, hugeString, pollutingObject, deeplyNested, hugeKeyObject)

const UUID = '0b5d6c9e-2f1a-4e3b-8c7d-6a5b4c3d2e1f'

/** A form that passes the schema, for mutation. */
export function validInput(): Record<string, unknown> {
  const endpoints = { tokenUrl: 'https://auth.example.invalid/token', apiUrl: 'https://api.example.invalid/me' }
  const credentials = { clientId: 'client', clientSecret: 'fuzz-client-secret', username: 'user', password: 'fuzz-password' }
  return { ...passwordFormFor(endpoints, credentials, { extraParams: [{ name: 'audience', value: 'api' }] }, 'Fuzzed') }
}

/** A payload of the right shape for each method. */
export function validPayload(method: IpcMethod): Record<string, unknown> {
  switch (method) {
    case 'listDatasources':
    case 'getAppState':
    case 'previewImport':
      return {}
    case 'exportToFile':
      return { ids: [UUID] }
    case 'applyImport':
      return { importId: UUID, replaceExisting: false }
    case 'getDatasource':
    case 'deleteDatasource':
    case 'renewNow':
    case 'getHistory':
    case 'getTokenDetails':
    case 'introspectToken':
    case 'clearToken':
      return { id: UUID }
    case 'copyToken':
      return { id: UUID, format: 'curl' }
    case 'cancelTest':
      return { testId: UUID }
    case 'discoverIssuer':
      return { issuer: 'https://auth.example.invalid/realms/acme' }
    case 'signIn':
      return { id: UUID, password: 'pw', remember: true }
    case 'testConnection':
    case 'tryOtherClientAuth':
      return { testId: UUID, input: validInput() }
    case 'saveDatasource':
      return { input: validInput(), testId: UUID }
    case 'importDatasources':
      return { text: '{"format":"datasource-desk/datasources","version":1,"datasources":[]}', replace: false, keepSecretsForNewOrigin: false }
    case 'exportDatasources':
      return { ids: [UUID] }
  }
}

/** Every path (list of keys) to a leaf or an object of a valid payload. */
function pathsOf(value: unknown, prefix: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix]
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value)
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))].filter((path) => path.length > 0)
}

function setPath(target: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  const root = structuredClone(target) as Record<string | number, unknown>
  let node = root
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>
  const last = path[path.length - 1] as string | number
  // defineProperty, so that a "__proto__" key becomes an own property as it would after IPC.
  Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true })
  return root
}

/** A valid payload with one field replaced by a hostile value, or an extra hostile key added. */
export function mutatedPayload(method: IpcMethod): fc.Arbitrary<unknown> {
  const base = validPayload(method)
  const paths = pathsOf(base)
  const replace = paths.length > 0 ? fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, value]) => setPath(base, path, value)) : fc.constant(base)
  const objectPaths: Array<ReadonlyArray<string | number>> = [[], ...paths.filter((path) => typeof pathAt(base, path) === 'object' && !Array.isArray(pathAt(base, path)))]
  const addKey = fc
    .tuple(fc.constantFrom(...objectPaths), key, hostileValue)
    .map(([path, name, value]) => (path.length === 0 ? setPath(base, [name], value) : setPath(base, [...path, name], value)))
  return fc.oneof(replace, addKey)
}

function pathAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], value)
}

/** Everything a compromised renderer might send to `method`. */
export function hostilePayload(method: IpcMethod): fc.Arbitrary<unknown> {
  const shaped = validPayload(method)
  return fc.oneof(
    { weight: 3, arbitrary: anyValue },
    { weight: 1, arbitrary: hugeString },
    { weight: 1, arbitrary: hugeKeyObject },
    { weight: 1, arbitrary: pollutingObject },
    { weight: 1, arbitrary: deeplyNested },
    // An array where the object belongs, with the right content inside.
    { weight: 1, arbitrary: fc.constantFrom<unknown>([shaped], Object.values(shaped), [], [[]]) },
    { weight: 4, arbitrary: mutatedPayload(method) },
  )
}

/** fast-check's failure report, shortened: a counterexample may hold a megabyte-long string. */
export function shortReport<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return
  const report = fc.defaultReportMessage(details) ?? 'property failed'
  throw new Error(report.length > 4_000 ? `${report.slice(0, 4_000)}... (${report.length} characters)` : report)
}

function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? String(item) : item)) ?? 'null') as unknown
  } catch {
    return null
  }
}
