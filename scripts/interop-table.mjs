// Renders the interop matrix from the run's results: reads test-results/interop/<server>.json
// (written by tests/integration/interop/*.test.ts), writes the merged test-results/interop-matrix.json
// and docs/interop-matrix.md.
//   node scripts/interop-table.mjs           regenerate docs/interop-matrix.md from the last run
//   node scripts/interop-table.mjs --check   fail, with a diff, when the committed table disagrees
// The table holds only outcomes (no timings), so the same code against the same servers renders
// the same bytes; a difference means the behaviour changed and the table must be committed again.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// The environment overrides are for the script's own test.
const partsDir = process.env.INTEROP_RESULTS_DIR ?? join(root, 'test-results', 'interop')
const mergedFile = process.env.INTEROP_MERGED_FILE ?? join(root, 'test-results', 'interop-matrix.json')
const tableFile = process.env.INTEROP_TABLE_FILE ?? join(root, 'docs', 'interop-matrix.md')
const check = process.argv.includes('--check')

/** Column order: the independent servers first, the suite's own server last. */
const SERVER_ORDER = ['django-oauth-toolkit', 'jmondi-oauth2-server', 'oauth2-mock-server', 'oauth2-mock-server-realm', 'oauth2-mock-server-rfc8414', 'node-oauth-oauth2-server']

function readParts() {
  if (!existsSync(partsDir)) return []
  return readdirSync(partsDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(partsDir, name), 'utf8')))
    .sort((a, b) => rank(a.server) - rank(b.server) || a.server.localeCompare(b.server))
}

function rank(key) {
  const index = SERVER_ORDER.indexOf(key)
  return index < 0 ? SERVER_ORDER.length : index
}

const escapeCell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ')

function render(servers) {
  const scenarios = []
  for (const server of servers) for (const cell of server.cells) if (!scenarios.some((known) => known.id === cell.scenario)) scenarios.push({ id: cell.scenario, title: cell.title })
  const notes = []
  const noteRef = (text) => {
    let index = notes.indexOf(text)
    if (index < 0) index = notes.push(text) - 1
    return `[${index + 1}]`
  }
  const cellText = (cell) => {
    if (!cell) return 'not run'
    const note = cell.note ? ` ${noteRef(cell.note)}` : ''
    switch (cell.status) {
      case 'pass':
        return `✅ ${cell.actual}${note}`
      case 'known-issue':
        return `❌ ${cell.actual}; should be ${cell.expected} ${noteRef(cell.knownIssue)}${note}`
      case 'not-applicable':
        return `n/a${note}`
      default:
        return `**FAIL**: ${cell.actual}; expected ${cell.expected}${cell.knownIssue ? ` (marked as known issue: ${cell.knownIssue})` : ''}${note}`
    }
  }
  const lines = [
    '# Interop matrix',
    '',
    'The core (and the CLI, in the `CLI:` rows) against independent OAuth 2.0 authorization servers on',
    '127.0.0.1: each row a scenario, each column a server, each cell what the app reported. Generated',
    'by `node scripts/interop-table.mjs` from the results of `tests/integration/interop/*.test.ts`',
    '(`test-results/interop-matrix.json`); do not edit it by hand. `npm test` fails when this file',
    'disagrees with the run.',
    '',
    '✅ as expected (success, or the precise error the app should report) · ❌ a known bug: the cell',
    'asserts the correct behaviour and names the bug; it turns the test red once it passes, so the',
    'marker is removed then · n/a the server cannot express the scenario.',
    '',
    `| Scenario | ${servers.map((server) => escapeCell(server.title)).join(' | ')} |`,
    `|---|${servers.map(() => '---').join('|')}|`,
  ]
  for (const scenario of scenarios) {
    const cells = servers.map((server) => cellText(server.cells.find((cell) => cell.scenario === scenario.id)))
    lines.push(`| ${escapeCell(scenario.title)} | ${cells.map(escapeCell).join(' | ')} |`)
  }
  if (notes.length > 0) {
    lines.push('', 'Notes:', '')
    notes.forEach((text, index) => lines.push(`${index + 1}. ${text}`))
  }
  const counts = { pass: 0, 'known-issue': 0, fail: 0, 'not-applicable': 0 }
  for (const server of servers) for (const cell of server.cells) counts[cell.status] += 1
  lines.push('', `${counts.pass} as expected, ${counts['known-issue']} known issues, ${counts.fail} failed, ${counts['not-applicable']} not applicable.`, '')
  return { markdown: lines.join('\n'), counts }
}

/** The changed lines, from a longest common subsequence (the table is a few dozen lines). */
function diff(before, after) {
  const old = before.split('\n')
  const now = after.split('\n')
  const common = Array.from({ length: old.length + 1 }, () => new Array(now.length + 1).fill(0))
  for (let i = old.length - 1; i >= 0; i -= 1) {
    for (let j = now.length - 1; j >= 0; j -= 1) common[i][j] = old[i] === now[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1])
  }
  const out = []
  let i = 0
  let j = 0
  while (i < old.length || j < now.length) {
    if (i < old.length && j < now.length && old[i] === now[j]) {
      i += 1
      j += 1
    } else if (j < now.length && (i === old.length || common[i][j + 1] >= common[i + 1][j])) out.push(`+ ${now[j++]}`)
    else out.push(`- ${old[i++]}`)
  }
  return out.join('\n')
}

const servers = readParts()
if (servers.length === 0) {
  console.error('interop-table: no results in test-results/interop; run the interop tests first:')
  console.error('  bash tests/support/with-keyring.sh npx vitest run tests/integration/interop')
  process.exit(1)
}
const { markdown, counts } = render(servers)
mkdirSync(dirname(mergedFile), { recursive: true })
writeFileSync(mergedFile, `${JSON.stringify({ servers }, null, 2)}\n`)

if (check) {
  const committed = existsSync(tableFile) ? readFileSync(tableFile, 'utf8') : ''
  if (committed !== markdown) {
    console.error('interop-table: docs/interop-matrix.md disagrees with this run:')
    console.error(diff(committed, markdown))
    console.error('If the change is intended, run `node scripts/interop-table.mjs` and commit docs/interop-matrix.md.')
    process.exit(1)
  }
  console.log(`interop-table: docs/interop-matrix.md matches the run (${servers.length} servers; ${counts.pass} as expected, ${counts['known-issue']} known issues).`)
} else {
  writeFileSync(tableFile, markdown)
  console.log(`interop-table: wrote docs/interop-matrix.md (${servers.length} servers; ${counts.pass} as expected, ${counts['known-issue']} known issues, ${counts.fail} failed).`)
}
