/**
 * The core in a child process, for reliability tests (compiled by child-build.ts, run with node).
 * It reads a JSON config from DSD_CHILD_CONFIG and, by mode:
 * - "churn": renews short-lived tokens and creates and deletes datasources, forever, so that the
 *   parent can SIGKILL it at any moment; prints "ready" once, then one "op ..." line per operation.
 * - "probe": runs the keychain-dependent calls once (start, list, app state, save) and prints one
 *   JSON line with their results and durations; the parent gives it a dead or silent D-Bus session.
 * Everything it prints is about operations, never a secret value.
 */
import { randomUUID } from 'node:crypto'
import { createCore } from '../../electron/core/core'
import { systemClock } from '../../electron/core/deps'
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import { CHURN_PREFIX, childForm, type ChurnConfig, type ProbeConfig, type ProbeReport } from './core-child-config'

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function churn(config: ChurnConfig): Promise<void> {
  const core = await createCore({
    dataDir: config.dataDir,
    secretStore: createKeytarSecretStore(config.keychainService),
    fetch: globalThis.fetch,
    clock: systemClock,
    notify: () => {},
  })
  say('ready')
  // The scheduler renews on its own (unref'd timers); this loop adds saves, deletes and manual
  // renewals so that a kill can land inside any of them.
  for (let n = 0; ; n++) {
    const all = core.service.list()
    const kept = all.filter((view) => !view.name.startsWith(CHURN_PREFIX))
    const temporary = all.filter((view) => view.name.startsWith(CHURN_PREFIX))
    const pick = Math.random()
    if (pick < 0.5 && kept.length > 0) {
      const target = kept[n % kept.length]!
      const result = await core.handlers.renewNow({ id: target.id })
      say(`op renew ${result.ok ? 'ok' : `fail:${result.error.code}`}`)
    } else if (pick < 0.8 || temporary.length === 0) {
      const input = childForm(config, `${CHURN_PREFIX}${process.pid}-${n}`)
      const testId = randomUUID()
      const tested = await core.handlers.testConnection({ testId, input })
      const saved = tested.ok ? await core.handlers.saveDatasource({ input, testId }) : tested
      say(`op save ${saved.ok ? 'ok' : `fail:${saved.error.code}`}`)
    } else {
      const result = await core.handlers.deleteDatasource({ id: temporary[0]!.id })
      say(`op delete ${result.ok ? 'ok' : `fail:${result.error.code}`}`)
    }
  }
}

async function probe(config: ProbeConfig): Promise<void> {
  let started = Date.now()
  const core = await createCore({
    dataDir: config.dataDir,
    secretStore: createKeytarSecretStore(config.keychainService, { timeoutMs: config.keychainTimeoutMs }),
    fetch: globalThis.fetch,
    clock: systemClock,
    notify: () => {},
  })
  const startMs = Date.now() - started
  const list = await core.handlers.listDatasources({})
  started = Date.now()
  const appState = await core.handlers.getAppState({})
  const appStateMs = Date.now() - started
  started = Date.now()
  const saved = await core.handlers.saveDatasource({ input: childForm(config, 'Probe') })
  const saveMs = Date.now() - started
  const report: ProbeReport = {
    startMs,
    listed: list.ok ? list.value.map((view) => view.name) : [],
    appState: appState.ok ? appState.value : { keychainAvailable: true, keychainMessage: 'getAppState failed' },
    appStateMs,
    save: saved.ok ? { ok: true } : { ok: false, kind: saved.error.kind, code: saved.error.code, message: saved.error.message, hint: saved.error.hint },
    saveMs,
  }
  say(JSON.stringify(report))
  await core.close()
}

const config = JSON.parse(process.env.DSD_CHILD_CONFIG ?? '{}') as ChurnConfig | ProbeConfig
const run = config.mode === 'churn' ? churn(config) : probe(config)
run.then(
  // The keychain library may keep a thread waiting on a silent bus; the probe is done regardless.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`core-child failed: ${error instanceof Error ? error.name : typeof error}\n`)
    process.exit(1)
  },
)
