/**
 * `npm run bench` is not part of `npm test` (its figures are timings), but its script must keep
 * working: it parses its options, refuses unknown cases, and runs a tiny case end to end (the
 * scheduler on a simulated clock, built from the real core).
 */
import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const bench = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bench', 'run.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 })

describe('bench/run.mjs', () => {
  it('lists its cases, full and quick', () => {
    const result = bench('--list')
    expect(result.status).toBe(0)
    // The command line's cases before the renewal cases, which fill the keyring.
    expect(result.stdout).toMatch(/Full run: .*cli-fast.*cli-due-vs-fast.*idle-10000.*renewal-keychain-500x5/)
    expect(result.stdout).toMatch(/Quick run: /)
  })

  it('refuses an unknown case and bad options with exit 2, before doing any work', () => {
    expect(bench('--cases', 'renewal-disk-5x5').status).toBe(2)
    expect(bench('--cases', 'margin', '--runs', '1').status).toBe(2)
    expect(bench('--cases', 'margin', '--window', '100000').status).toBe(2)
  })

  it('runs the margin case and prints its figures with the command that reproduces them', () => {
    const result = bench('--cases', 'margin', '--quick')
    expect(result.stderr).not.toMatch(/FAILED/)
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/1 h: 1\.0\d+ requests per lifetime/)
    expect(result.stdout).toContain('$ npm run bench -- --cases margin --quick')
  }, 180_000)
})
