/**
 * Runs Electronegativity's programmatic runner over one folder and writes its findings as JSON.
 * Usage: node --import ./loopback-only-guard.mjs run-electronegativity.mjs <input dir> <result file>
 *
 * Its CLI (dist/index.js) is not used: it picks up the top-level `commander`, whose API changed.
 * Two things in it go to the internet, and tests may reach only 127.0.0.1:
 * - locales/i18n.js asks S3 for updated translations with `got` on every run; here `got` is
 *   replaced (for Electronegativity only) by a stub that fails at once, so it falls back to the
 *   bundled en-US strings without opening a socket;
 * - AvailableSecurityFixesGlobalCheck fetches Electron's release list from GitHub; it is excluded,
 *   and with it ElectronVersionJSONCheck, whose only job is to feed it (its own finding is an
 *   informational "review the Electron version", which a JSON file cannot carry a comment for).
 * The loopback-only guard loaded before this file records anything that still tries.
 */
import { writeFileSync } from 'node:fs'
import Module, { createRequire } from 'node:module'

const [input, resultFile] = process.argv.slice(2)
if (!input || !resultFile) {
  console.error('usage: run-electronegativity.mjs <input dir> <result file>')
  process.exit(2)
}

const require = createRequire(import.meta.url)
const runnerPath = require.resolve('@doyensec/electronegativity')
const gotPath = createRequire(runnerPath).resolve('got')

const offline = () => Promise.reject(new Error('network access is disabled while Electronegativity runs in tests'))
const gotStub = Object.assign(offline, { get: offline, head: offline, post: offline })
const stubModule = new Module(gotPath)
stubModule.filename = gotPath
stubModule.loaded = true
stubModule.exports = gotStub
require.cache[gotPath] = stubModule

// en-US is the locale bundled with the package; another LANG would only change the wording.
process.env.LANG = 'en-US'
const run = require(runnerPath)
const result = await run({
  input,
  excludeFromScan: ['AvailableSecurityFixesGlobalCheck', 'ElectronVersionJSONCheck'],
  isRelative: true,
})
writeFileSync(
  resultFile,
  JSON.stringify({
    globalChecks: result.globalChecks,
    atomicChecks: result.atomicChecks,
    errors: result.errors,
    issues: result.issues.map((issue) => ({
      id: issue.id,
      file: issue.file,
      line: issue.location?.line,
      column: issue.location?.column,
      severity: issue.severity?.name,
      confidence: issue.confidence?.name,
      manualReview: issue.manualReview,
      sample: typeof issue.sample === 'string' ? issue.sample.slice(0, 200) : undefined,
      description: issue.description,
    })),
  }),
)
