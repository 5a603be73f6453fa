#!/usr/bin/env node
/**
 * `npm run bench`: the median wall time of `datasource-desk token <name>` with a valid cached token,
 * against the real OS keyring, next to `node -e 0` on the same machine (issue 6, Speed: the target
 * is at most 1.5x). Runs inside tests/support/with-keyring.sh (it re-executes itself there), with
 * its own data folder and keychain service, and a token endpoint on 127.0.0.1 that must see no
 * request during the timed runs.
 *
 * Options: --runs N (default 20), --no-build (use out/cli as it is).
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'cli', 'index.cjs')
const args = process.argv.slice(2)
const runsArg = args.indexOf('--runs')
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 20

if (!process.env.DATASOURCE_DESK_KEYRING_READY) {
  // A private D-Bus session with a throwaway, unlocked gnome-keyring: the real keychain code path.
  const result = spawnSync('bash', [join(root, 'tests', 'support', 'with-keyring.sh'), process.execPath, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
  })
  process.exit(result.status ?? 1)
}

if (!Number.isInteger(runs) || runs < 3) {
  console.error('bench: --runs needs a whole number of at least 3')
  process.exit(2)
}

if (!args.includes('--no-build') || !existsSync(cli)) {
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'cli.vite.config.ts'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

/** Runs a command to completion; resolves with its exit code, stdout and wall time in ms. */
function timed(command, commandArgs, { env = process.env, input = '' } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, commandArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolvePromise({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }))
    child.stdin.end(input)
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const format = (ms) => `${ms.toFixed(1)} ms`

// A token endpoint that issues hour-long tokens and counts what it receives.
let tokenRequests = 0
const server = createServer((req, res) => {
  tokenRequests += 1
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' })
    res.end(JSON.stringify({ access_token: randomBytes(24).toString('hex'), token_type: 'Bearer', expires_in: 3600 }))
  })
})
await new Promise((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise))
server.unref()
const tokenUrl = `http://127.0.0.1:${server.address().port}/token`

const dataDir = mkdtempSync(join(tmpdir(), 'dsd-bench-'))
const env = { ...process.env, DATASOURCE_DESK_DATA_DIR: dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: `datasource-desk-bench-${process.pid}` }
let exitCode = 0
try {
  const added = await timed(
    process.execPath,
    [cli, 'add', 'bench', '--token-url', tokenUrl, '--client-id', 'bench', '--client-auth', 'none', '--username', 'bench', '--password-stdin'],
    { env, input: 'bench-password\n' },
  )
  if (added.code !== 0) throw new Error(`datasource-desk add failed (exit ${added.code}): ${added.stderr}`)
  const requestsAfterAdd = tokenRequests

  const tokenCommand = [cli, 'token', 'bench']
  const expected = (await timed(process.execPath, tokenCommand, { env })).stdout
  // Warm the file system cache for both before timing.
  await timed(process.execPath, ['-e', '0'])
  await timed(process.execPath, tokenCommand, { env })

  const nodeTimes = []
  const tokenTimes = []
  for (let run = 0; run < runs; run++) {
    // Interleaved, so that a noisy moment on the machine hits both alike.
    nodeTimes.push((await timed(process.execPath, ['-e', '0'])).ms)
    const result = await timed(process.execPath, tokenCommand, { env })
    if (result.code !== 0 || result.stdout !== expected) throw new Error(`datasource-desk token failed (exit ${result.code}): ${result.stderr}`)
    tokenTimes.push(result.ms)
  }
  const requestsDuringRuns = tokenRequests - requestsAfterAdd
  const tokenMedian = median(tokenTimes)
  const nodeMedian = median(nodeTimes)
  const ratio = tokenMedian / nodeMedian

  console.log(`datasource-desk token <name> (cached token, real keyring), ${runs} runs:`)
  console.log(`  median ${format(tokenMedian)}  (min ${format(Math.min(...tokenTimes))}, max ${format(Math.max(...tokenTimes))})`)
  console.log(`node -e 0, ${runs} runs:`)
  console.log(`  median ${format(nodeMedian)}  (min ${format(Math.min(...nodeTimes))}, max ${format(Math.max(...nodeTimes))})`)
  console.log(`ratio: ${ratio.toFixed(2)}x (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`)
  console.log(`token endpoint requests during the timed runs: ${requestsDuringRuns}`)
  if (requestsDuringRuns !== 0) exitCode = 1
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`)
  exitCode = 1
} finally {
  // Removing the datasource removes its keychain entries; the keyring itself is thrown away too.
  await timed(process.execPath, [cli, 'remove', 'bench', '--yes'], { env }).catch(() => {})
  rmSync(dataDir, { recursive: true, force: true })
  server.close()
}
process.exit(exitCode)
