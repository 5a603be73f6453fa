#!/usr/bin/env node
/**
 * `npm run bench`: the speed and scale figures of Datasource Desk side by side, each with the
 * command that reproduces it alone (issue 14). Runs inside tests/support/with-keyring.sh (it
 * re-executes itself there: a private D-Bus session with a throwaway gnome-keyring), every server
 * on 127.0.0.1, every case in a fresh process with its own data folder and keychain service, and
 * every case bounded in time. Not part of `npm test`: timings belong here, not in assertions.
 *
 * Cases (`--cases a,b,...`; `--list` prints them):
 *   margin                       token requests per lifetime of the scheduler, 5 s to 24 h tokens (simulated clock)
 *   renewal-<store>-<N>x<L>      N datasources with L-second tokens renewed by the real core against the real
 *                                OAuth server, store memory or keychain: lapses and requests per lifetime, tokens
 *                                spread as in a running app, measured after one lifetime of warm-up
 *   cold-<store>-<N>x<L>         the same with every token expired at start: how long until all are valid again
 *   cli-fast, cli-due            `datasource-desk token` with a cached token / with a token due, vs `node -e 0`
 *   cli-due-vs-fast              the two in turn, round by round, for their ratio: measured apart, a machine
 *                                whose speed drifts between the two cases (shared cores, steal time) moves it
 *   cli-size-<N>                 the fast and due paths with N datasources and their history in the database, vs 10
 *   idle-<N>                     CPU per minute of the core with N scheduled datasources and nothing due
 *   keychain-<N>                 the real keychain alone with N items: writes and reads per second, 1 and 3 at once
 *
 * Options: --quick (short windows, fewer runs, smaller sizes), --window S (renewal and idle windows),
 * --sweep (the weekly orphan sweep's listing falls in the middle of each renewal window; otherwise the
 * database was swept recently, as on most starts), --runs N (CLI runs per figure), --seed-budget S (how long seeding the keychain may take, default 240), --no-build (use out/cli and the bench build as they are),
 * --markdown FILE (also write the summary as a Markdown table).
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'cli', 'index.cjs')
const benchBuild = join(root, 'node_modules', '.cache', 'datasource-desk-bench')
const args = process.argv.slice(2)

// The command line's cases come before the renewal cases: those leave thousands of items in the
// session's keyring, and every later gnome-keyring write rewrites them all (a due `token` measured
// 1.2 s after renewal-keychain-2000x60 instead of about 0.2 s).
const FULL_CASES = [
  'margin',
  'cli-fast',
  'cli-due',
  'cli-due-vs-fast',
  'cli-size-10000',
  'idle-10000',
  'keychain-20',
  'keychain-300',
  'renewal-memory-100x5',
  'renewal-keychain-100x5',
  'renewal-memory-500x5',
  'renewal-keychain-500x5',
  'cold-keychain-500x5',
  'renewal-memory-2000x5',
  'renewal-keychain-2000x60',
]
const QUICK_CASES = ['margin', 'renewal-memory-100x5', 'renewal-keychain-100x5', 'cli-fast', 'cli-due', 'cli-due-vs-fast', 'cli-size-1000', 'idle-10000']

function option(name) {
  const index = args.indexOf(name)
  return index >= 0 ? args[index + 1] : undefined
}

const quick = args.includes('--quick')
if (args.includes('--list')) {
  console.log(`Full run:  ${FULL_CASES.join(' ')}\nQuick run: ${QUICK_CASES.join(' ')}`)
  process.exit(0)
}
const cases = (option('--cases')?.split(',').filter(Boolean) ?? (quick ? QUICK_CASES : FULL_CASES)).map((id) => id.trim())
const runs = Number(option('--runs') ?? (quick ? 5 : 15))
const windowOverride = option('--window') === undefined ? undefined : Number(option('--window'))
// Seeding N passwords into the real keychain is gnome-keyring's per-item cost (one item each).
const seedBudgetOverride = option('--seed-budget') === undefined ? undefined : Number(option('--seed-budget'))
const markdownFile = option('--markdown')
// The weekly orphan sweep's listing in the middle of each renewal window (otherwise none: swept recently).
const withSweep = args.includes('--sweep')

const casePattern = /^(margin|cli-fast|cli-due|cli-due-vs-fast|cli-size-(\d+)|idle-(\d+)|(renewal|cold)-(memory|keychain)-(\d+)x(\d+)|keychain-(\d+))$/
const unknown = cases.filter((id) => !casePattern.test(id))
if (unknown.length > 0 || !Number.isInteger(runs) || runs < 3 || (windowOverride !== undefined && !(windowOverride >= 2 && windowOverride <= 600))) {
  console.error(`bench: ${unknown.length > 0 ? `unknown case ${unknown.join(', ')} (see --list)` : '--runs needs a whole number >= 3 and --window 2..600 seconds'}`)
  process.exit(2)
}

if (!process.env.DATASOURCE_DESK_KEYRING_READY) {
  const result = spawnSync('bash', [join(root, 'tests', 'support', 'with-keyring.sh'), process.execPath, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' })
  process.exit(result.status ?? 1)
}

const needsCli = cases.some((id) => id.startsWith('cli-'))
const needsLoad = cases.some((id) => !id.startsWith('cli-'))
if (!args.includes('--no-build') || (needsCli && !existsSync(cli)) || (needsLoad && !existsSync(join(benchBuild, 'renewal-load.mjs')))) {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  if (needsCli && spawnSync(process.execPath, [vite, 'build', '-c', 'cli.vite.config.ts'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1)
  if (needsLoad && spawnSync(process.execPath, [vite, 'build', '-c', 'bench/vite.config.ts'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1)
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ')
const commandFor = (id) => `npm run bench -- --cases ${id}${quick ? ' --quick' : ''}${windowOverride ? ` --window ${windowOverride}` : ''}${args.includes('--runs') ? ` --runs ${runs}` : ''}${seedBudgetOverride ? ` --seed-budget ${seedBudgetOverride}` : ''}${withSweep ? ' --sweep' : ''}`

/** Runs a command to completion; resolves with its exit code, output and wall time in ms. */
function timed(command, commandArgs, { env = process.env, input = '', timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, commandArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code: signal ? `killed (${signal}, after ${timeoutMs} ms)` : code, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 })
    })
    child.stdin.end(input)
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const ms = (value) => `${Math.round(value)} ms`

// --- the load cases: bench/renewal-load.ts in a child process ------------------------------------

async function loadCase(spec, timeoutMs) {
  const result = await timed(process.execPath, [join(benchBuild, 'renewal-load.mjs'), JSON.stringify({ ...spec, serverFile: join(benchBuild, 'token-server.mjs') })], { timeoutMs })
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr.trim().slice(-2000)}`)
  return JSON.parse(result.stdout.trim().split('\n').at(-1))
}

async function marginFigures() {
  const result = await loadCase({ mode: 'margin' }, 120_000)
  return Object.entries(result).map(([lifetime, figures]) => `${lifetime}: ${figures.requestsPerLifetime} requests per lifetime (renewed with >= ${figures.minimumLeftAtRenewalSeconds} s left)`).join('; ')
}

async function renewalFigures(store, count, lifetimeSeconds) {
  const windowSeconds = windowOverride ?? (quick ? 15 : 60)
  const seedBudgetSeconds = seedBudgetOverride ?? (quick ? 60 : 240)
  const r = await loadCase({ mode: 'renewal', store, count, lifetimeSeconds, windowSeconds, seedBudgetSeconds, sweep: withSweep }, (windowSeconds + Math.min(lifetimeSeconds, 30) + seedBudgetSeconds + 300) * 1000)
  if (r.notRun) return `not run: ${r.notRun}`
  return (
    `${r.expiredDatasourceSeconds} datasource-s expired, max ${r.maxExpiredAtOnce} expired at once, ${r.lateRenewals} renewals after expiry, ` +
    `${r.failedAttempts} failed attempts; ${r.requestsPerLifetime} token requests per lifetime (${r.renewalsPerSecond}/s over ${r.windowSeconds} s); ` +
    `core CPU ${r.cpuMsPerSecond} ms/s; start-up ${r.coreStartMs} ms; seeding ${r.seedKeychainWritesPerSecond} secret writes/s; ${r.keychainCalls}`
  )
}

async function coldStartFigures(store, count, lifetimeSeconds) {
  const windowSeconds = windowOverride ?? (quick ? 30 : 120)
  const seedBudgetSeconds = seedBudgetOverride ?? (quick ? 60 : 240)
  const r = await loadCase({ mode: 'renewal', start: 'cold', store, count, lifetimeSeconds, windowSeconds, seedBudgetSeconds }, (windowSeconds + seedBudgetSeconds + 300) * 1000)
  if (r.notRun) return `not run: ${r.notRun}`
  const after = r.allValidAfterSeconds === null ? `not all valid within ${r.windowSeconds} s` : `every token valid ${r.allValidAfterSeconds} s after start`
  return `all ${count} tokens expired at start: ${after}; ${r.expiredDatasourceSeconds} datasource-s expired until then; ${r.tokenRequests} token requests; core start-up ${r.coreStartMs} ms; ${r.keychainCalls}`
}

async function keychainFigures(count) {
  const r = await loadCase({ mode: 'keychain', count }, 600_000)
  return `${count} items: create ${r.createPerSecond}/s; replace ${r.writesPerSecond1}/s one at a time, ${r.writesPerSecond3}/s 3 at once; read ${r.readsPerSecond1}/s, ${r.readsPerSecond3}/s 3 at once`
}

async function idleFigures(count) {
  const windowSeconds = windowOverride ?? (quick ? 15 : 60)
  const r = await loadCase({ mode: 'idle', count, windowSeconds }, (windowSeconds + 300) * 1000)
  return `${r.cpuMsPerMinute} ms CPU per minute with ${r.scheduled} scheduled (over ${r.windowSeconds} s), ${r.keychainCallsWhileIdle} keychain calls`
}

// --- the CLI cases: out/cli against the real keyring and a token endpoint on 127.0.0.1 -----------

let tokenRequests = 0
const server = createServer((req, res) => {
  tokenRequests += 1
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' })
    res.end(JSON.stringify({ access_token: randomBytes(24).toString('hex'), refresh_token: randomBytes(24).toString('hex'), token_type: 'Bearer', expires_in: 3600 }))
  })
})
let tokenUrl = ''
if (needsCli) {
  await new Promise((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise))
  tokenUrl = `http://127.0.0.1:${server.address().port}/token`
}
server.unref()

const Database = createRequire(join(root, 'package.json'))('better-sqlite3')

/** A data folder with one OAuth datasource named "bench" (added by the CLI) and `extra` more with history. */
async function cliDataDir(extra) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsd-bench-cli-'))
  const env = { ...process.env, DATASOURCE_DESK_DATA_DIR: dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: `datasource-desk-bench-${process.pid}-${extra}` }
  const added = await timed(
    process.execPath,
    [cli, 'add', 'bench', '--token-url', tokenUrl, '--client-id', 'bench', '--client-auth', 'none', '--username', 'bench', '--password-stdin'],
    { env, input: 'bench-password\n' },
  )
  if (added.code !== 0) throw new Error(`datasource-desk add failed (exit ${added.code}): ${added.stderr}`)
  if (extra > 0) {
    const db = new Database(join(dataDir, 'datasource-desk.sqlite'))
    const now = Date.now()
    const addDatasource = db.prepare("INSERT INTO datasources (id, name, url, auth_type, created_at, updated_at) VALUES (?, ?, 'https://api.example.com/v1', 'none', ?, ?)")
    const addHistory = db.prepare('INSERT INTO history (datasource_id, at, kind, message, grant_type, attempt, error) VALUES (?, ?, ?, ?, ?, ?, ?)')
    const error = JSON.stringify({ kind: 'network', code: 'timeout', message: 'The token endpoint did not answer in time.', hint: 'Check the network connection and the token URL, then try again.', transient: true })
    db.transaction(() => {
      for (let index = 0; index < extra; index++) {
        const id = `seeded-${index}-${randomBytes(8).toString('hex')}`
        addDatasource.run(id, `seeded-${index}`, now, now)
        for (let event = 0; event < 100; event++) {
          if (event % 4 === 3) addHistory.run(id, now - event * 60_000, 'failed', 'Renewal failed: The token endpoint did not answer in time.', null, 1, error)
          else addHistory.run(id, now - event * 60_000, 'renewed', 'Renewed with the refresh token (timer).', 'refresh_token', null, null)
        }
      }
    })()
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()
  }
  return { dataDir, env }
}

/** Makes the stored token of "bench" due for renewal (10 s left of an hour) without touching the keychain. */
function makeDue(dataDir) {
  const db = new Database(join(dataDir, 'datasource-desk.sqlite'))
  const now = Date.now()
  db.prepare("UPDATE tokens SET obtained_at = ?, expires_at = ? WHERE datasource_id = (SELECT id FROM datasources WHERE name = 'bench')").run(now - 3_590_000, now + 10_000)
  db.close()
}

/** Median wall times of `token bench` (fast or due) and of `node -e 0`, interleaved so noise hits both. */
/** One `datasource-desk token bench`, timed; a failed one ends the case. */
async function tokenRun(env) {
  const result = await timed(process.execPath, [cli, 'token', 'bench'], { env })
  if (result.code !== 0) throw new Error(`datasource-desk token failed (exit ${result.code}): ${result.stderr}`)
  return result
}

async function cliTimes({ dataDir, env }, due) {
  const warm = await tokenRun(env)
  await timed(process.execPath, ['-e', '0'])
  const nodeTimes = []
  const tokenTimes = []
  const requestsBefore = tokenRequests
  let previous = warm.stdout
  for (let run = 0; run < runs; run++) {
    nodeTimes.push((await timed(process.execPath, ['-e', '0'])).ms)
    if (due) makeDue(dataDir)
    const result = await tokenRun(env)
    if (due === (result.stdout === previous)) throw new Error(due ? 'the due path did not renew' : 'the fast path changed the token')
    previous = result.stdout
    tokenTimes.push(result.ms)
  }
  const requests = tokenRequests - requestsBefore
  if (requests !== (due ? runs : 0)) throw new Error(`expected ${due ? runs : 0} token requests, saw ${requests}`)
  return { token: median(tokenTimes), node: median(nodeTimes), min: Math.min(...tokenTimes), max: Math.max(...tokenTimes), requests }
}

const cliFolders = new Map()
async function cliFolder(extra) {
  if (!cliFolders.has(extra)) cliFolders.set(extra, await cliDataDir(extra))
  return cliFolders.get(extra)
}

async function cliFigures(due) {
  const t = await cliTimes(await cliFolder(0), due)
  return `median ${ms(t.token)} (min ${ms(t.min)}, max ${ms(t.max)}) vs node -e 0 ${ms(t.node)}: ${(t.token / t.node).toFixed(2)}x; ${t.requests} token requests in ${runs} runs`
}

/** Each round: `node -e 0`, the fast path, then the due path; the ratio of the medians and the median of each round's ratio. */
async function cliPairFigures() {
  const { dataDir, env } = await cliFolder(0)
  const warm = await tokenRun(env)
  const times = { node: [], fast: [], due: [], ratio: [] }
  const requestsBefore = tokenRequests
  let previous = warm.stdout
  for (let round = 0; round < runs; round++) {
    times.node.push((await timed(process.execPath, ['-e', '0'])).ms)
    const fast = await tokenRun(env)
    makeDue(dataDir)
    const due = await tokenRun(env)
    if (fast.stdout !== previous) throw new Error('the fast path changed the token')
    if (due.stdout === fast.stdout) throw new Error('the due path did not renew')
    previous = due.stdout
    times.fast.push(fast.ms)
    times.due.push(due.ms)
    times.ratio.push(due.ms / fast.ms)
  }
  const requests = tokenRequests - requestsBefore
  if (requests !== runs) throw new Error(`expected ${runs} token requests, saw ${requests}`)
  const [fast, due] = [median(times.fast), median(times.due)]
  return `due / fast: ${ms(due)} / ${ms(fast)} = ${(due / fast).toFixed(2)}x (median of each round's ratio ${median(times.ratio).toFixed(2)}x) over ${runs} rounds; node -e 0 ${ms(median(times.node))}; ${requests} token requests`
}

async function cliSizeFigures(count) {
  const small = await cliFolder(9)
  const large = await cliFolder(count - 1)
  const size = (folder) => `${Math.round(readFileSize(join(folder.dataDir, 'datasource-desk.sqlite')) / 1e6)} MB`
  const parts = []
  for (const due of [false, true]) {
    const a = await cliTimes(small, due)
    const b = await cliTimes(large, due)
    parts.push(`${due ? 'due' : 'fast'}: 10 -> ${ms(a.token)}, ${count} -> ${ms(b.token)} (${(b.token / a.token).toFixed(2)}x; node -e 0 ${ms(b.node)})`)
  }
  return `${parts.join('; ')}; database ${size(small)} vs ${size(large)}`
}

function readFileSize(file) {
  return readFileSync(file).length
}

// --- run -------------------------------------------------------------------------------------------

const results = []
let exitCode = 0
console.log(`Datasource Desk bench, ${new Date().toISOString()}, node ${process.version}, ${quick ? 'quick' : 'full'} run: ${cases.join(' ')}`)
for (const id of cases) {
  const loadBefore = load()
  const started = Date.now()
  let figures
  try {
    const match = casePattern.exec(id)
    if (id === 'margin') figures = await marginFigures()
    else if (id === 'cli-fast') figures = await cliFigures(false)
    else if (id === 'cli-due') figures = await cliFigures(true)
    else if (id === 'cli-due-vs-fast') figures = await cliPairFigures()
    else if (match[2]) figures = await cliSizeFigures(Number(match[2]))
    else if (match[3]) figures = await idleFigures(Number(match[3]))
    else if (match[8]) figures = await keychainFigures(Number(match[8]))
    else if (match[4] === 'cold') figures = await coldStartFigures(match[5], Number(match[6]), Number(match[7]))
    else figures = await renewalFigures(match[5], Number(match[6]), Number(match[7]))
  } catch (error) {
    figures = `FAILED: ${error instanceof Error ? error.message : String(error)}`
    exitCode = 1
  }
  const row = { id, figures, command: commandFor(id), load: `${loadBefore} -> ${load()}`, seconds: Math.round((Date.now() - started) / 1000) }
  results.push(row)
  console.log(`\n${id}  (${row.seconds} s, load ${row.load})\n  ${figures}\n  $ ${row.command}`)
}
for (const { dataDir } of cliFolders.values()) rmSync(dataDir, { recursive: true, force: true })
server.close()

if (markdownFile) {
  const escape = (text) => text.replace(/\|/g, '\\|')
  const lines = [
    `Run ${new Date().toISOString()} on node ${process.version}, ${quick ? 'quick' : 'full'} run (\`npm run bench${quick ? ' -- --quick' : ''}\`).`,
    '',
    '| case | figures | load average (1/5/15 min) before -> after | command |',
    '|---|---|---|---|',
    ...results.map((row) => `| ${row.id} | ${escape(row.figures)} | ${row.load} | \`${row.command}\` |`),
    '',
  ]
  writeFileSync(markdownFile, lines.join('\n'))
}
process.exit(exitCode)
