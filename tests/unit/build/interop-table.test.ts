/**
 * scripts/interop-table.mjs: the table is rendered from the recorded cells only, and `--check`
 * fails (with the changed rows) when the committed table disagrees with the run.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/cli-runner'
import type { ServerRecord } from '../../support/interop/matrix'
import { makeTempDir } from '../../support/temp-dir'

const temps: Array<{ cleanup: () => void }> = []
afterEach(() => temps.splice(0).forEach((temp) => temp.cleanup()))

function setup(records: ReadonlyArray<ServerRecord>) {
  const temp = makeTempDir('dsd-interop-table-')
  temps.push(temp)
  const parts = join(temp.dir, 'parts')
  mkdirSync(parts)
  for (const record of records) writeFileSync(join(parts, `${record.server}.json`), JSON.stringify(record))
  const env = { ...process.env, INTEROP_RESULTS_DIR: parts, INTEROP_MERGED_FILE: join(temp.dir, 'merged.json'), INTEROP_TABLE_FILE: join(temp.dir, 'table.md') }
  const run = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'scripts', 'interop-table.mjs'), ...args], { env, encoding: 'utf8' })
  return { run, table: () => readFileSync(env.INTEROP_TABLE_FILE, 'utf8'), merged: () => JSON.parse(readFileSync(env.INTEROP_MERGED_FILE, 'utf8')), parts }
}

const django: ServerRecord = {
  server: 'django-oauth-toolkit',
  title: 'Django',
  cells: [
    { scenario: 'basic', title: 'Basic', status: 'pass', expected: 'ok', actual: 'ok' },
    { scenario: 'jwt-exp', title: 'JWT exp', status: 'not-applicable', expected: 'not applicable', actual: 'not run', note: 'opaque tokens' },
  ],
}
const jmondi: ServerRecord = {
  server: 'jmondi-oauth2-server',
  title: 'jmondi',
  cells: [
    { scenario: 'basic', title: 'Basic', status: 'known-issue', expected: 'ok', actual: 'oauth/invalid_client (HTTP 401)', knownIssue: 'issue 10: Basic encoding' },
    { scenario: 'jwt-exp', title: 'JWT exp', status: 'pass', expected: 'ok', actual: 'ok (expiry from exp)' },
  ],
}

describe('interop-table', () => {
  it('renders one row per scenario and one column per server, in the fixed server order, with the notes', () => {
    const { run, table, merged } = setup([jmondi, django])
    expect(run().status).toBe(0)
    const lines = table().split('\n')
    expect(lines).toContain('| Scenario | Django | jmondi |')
    expect(lines).toContain('| Basic | ✅ ok | ❌ oauth/invalid_client (HTTP 401); should be ok [1] |')
    expect(lines).toContain('| JWT exp | n/a [2] | ✅ ok (expiry from exp) |')
    expect(lines).toContain('1. issue 10: Basic encoding')
    expect(lines).toContain('2. opaque tokens')
    expect(merged().servers.map((server: ServerRecord) => server.server)).toEqual(['django-oauth-toolkit', 'jmondi-oauth2-server'])
  })

  it('--check passes on the table it rendered and fails, naming the changed row, when a cell changed', () => {
    const { run, parts } = setup([django, jmondi])
    expect(run().status).toBe(0)
    expect(run('--check').status).toBe(0)
    const fixed: ServerRecord = { ...jmondi, cells: [{ scenario: 'basic', title: 'Basic', status: 'fail', expected: 'ok', actual: 'ok', knownIssue: 'issue 10: Basic encoding' }, jmondi.cells[1]!] }
    writeFileSync(join(parts, `${jmondi.server}.json`), JSON.stringify(fixed))
    const checked = run('--check')
    expect(checked.status).toBe(1)
    expect(checked.stderr).toContain('disagrees with this run')
    expect(checked.stderr).toContain('+ | Basic | ✅ ok | **FAIL**: ok; expected ok (marked as known issue: issue 10: Basic encoding) |')
  })

  it('fails with the command to run when there are no results', () => {
    const { run } = setup([])
    const result = run('--check')
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('vitest run tests/integration/interop')
  })
})
