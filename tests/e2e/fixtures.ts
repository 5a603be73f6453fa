/**
 * The e2e harness. The `web` target drives Debian's Chromium on the built renderer; `window.api` is
 * defined before the page's scripts run, each method calling a Playwright binding that invokes the
 * very same handler table the Electron main process registers, backed by the real core: a temp data
 * directory, the real OS keychain (a test-only service name), and a real OAuth server on 127.0.0.1.
 * Status events are pushed into the page the way main pushes them to the window.
 * The `electron` target launches the built app instead, wherever an Electron binary exists.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test as base, _electron, expect, type Page } from '@playwright/test'
import { ipcMethods, type IpcMethod } from '../../shared/ipc'
import { createCore, type Core } from '../../electron/core/core'
import { systemClock, type CoreEvent } from '../../electron/core/deps'
import { createKeytarSecretStore } from '../../electron/core/secrets/keytar-secret-store'
import type { SecretStore } from '../../electron/core/secrets/secret-store'
import type { ClipboardPort } from '../../electron/core/clipboard'
import type { FileDialogPort } from '../../electron/core/datasource-transfer'
import { buildTrayModel, type TrayAction, type TrayModel } from '../../electron/core/tray-model'
import { TEST_USER, startOAuthServer, type OAuthTestServer } from '../support/oauth-server'
import { startStaticServer, type StaticServer } from '../support/static-server'

export { expect }

/** Everything the main process sent to the renderer, recorded for the secret canary checks. */
export interface RecordedMessage {
  readonly channel: string
  readonly payload: unknown
}

export interface AppHarness {
  readonly page: Page
  readonly dataDir: string
  readonly keychainService: string
  /** The real keychain, under this test's own service name. */
  readonly secretStore: SecretStore
  readonly sentToRenderer: RecordedMessage[]
  /** Stops the core and starts a new one over the same data directory, then reloads the page. */
  restart(): Promise<void>
  /** The tray model the main process would render right now. */
  trayModel(): Promise<TrayModel>
  /** Runs a tray menu item's action as a click on it would (a native menu cannot be clicked from here). */
  runTrayAction(action: TrayAction): Promise<void>
  /** The clipboard the core writes to (main passes Electron's); every write is recorded. */
  readonly clipboard: RecordingClipboard
  /**
   * Answers the next save (Export) or open (Import) dialog with this path, or cancels it (null).
   * Chromium cannot show the OS file dialog main shows: in the web target the core's FileDialogPort
   * gets the answer; in the electron target Electron's dialog function answers so until the next call of this.
   */
  answerFileDialog(kind: 'save' | 'open', path: string | null): Promise<void>
  /** What each dialog was opened with, in order (web target). */
  readonly dialogsShown: Array<{ readonly kind: 'save' | 'open'; readonly suggestedName?: string }>
}

/** The system clipboard as the core's port sees it, recording what was written, in order. */
export interface RecordingClipboard extends ClipboardPort {
  readonly writes: string[]
  text: string
  /** What the browser's (web) or Electron's (electron) real clipboard holds now. */
  readSystem(): Promise<string>
}

function recordingClipboard(readSystem: () => Promise<string>): RecordingClipboard {
  const clipboard: RecordingClipboard = {
    writes: [],
    text: '',
    writeText(text) {
      clipboard.writes.push(text)
      clipboard.text = text
    },
    readText: () => clipboard.text,
    readSystem,
  }
  return clipboard
}

/** A routed origin (never on the network) for the page that holds Chromium's clipboard. */
const CLIPBOARD_ORIGIN = 'http://127.0.0.1:9'

/**
 * Chromium's real clipboard as the core's port: main's Electron clipboard in the app, here a
 * separate, blank page of the same browser writes and reads it (navigator.clipboard with the
 * clipboard-read/-write permissions). The app's page never runs that code nor sees the text;
 * the system clipboard it writes is the one every page of the browser reads.
 */
async function chromiumClipboard(page: Page): Promise<RecordingClipboard> {
  const context = page.context()
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: CLIPBOARD_ORIGIN })
  const holder = await context.newPage()
  await holder.route(`${CLIPBOARD_ORIGIN}/**`, (route) => route.fulfill({ body: '<!doctype html><title>clipboard</title>', contentType: 'text/html' }))
  await holder.goto(`${CLIPBOARD_ORIGIN}/clipboard`)
  const read = () => holder.evaluate(() => navigator.clipboard.readText())
  const clipboard = recordingClipboard(read)
  return {
    ...clipboard,
    get writes() {
      return clipboard.writes
    },
    get text() {
      return clipboard.text
    },
    set text(value) {
      clipboard.text = value
    },
    async writeText(text) {
      clipboard.writeText(text)
      await holder.evaluate((value) => navigator.clipboard.writeText(value), text)
    },
    readText: read,
  }
}

const rendererDir = resolve('out/renderer')
/** Defines window.api from the contract's method names before any page script runs. */
function installApi(methods: ReadonlyArray<string>): void {
  type Listener = (payload: unknown) => void
  const listeners = new Map<string, Set<Listener>>()
  const invoke = (window as unknown as { __dsdInvoke: (method: string, payload: unknown) => Promise<unknown> }).__dsdInvoke
  const api: Record<string, unknown> = {}
  for (const method of methods) api[method] = (payload: unknown) => invoke(method, payload)
  api.on = (event: string, listener: Listener) => {
    const set = listeners.get(event) ?? new Set<Listener>()
    set.add(listener)
    listeners.set(event, set)
    return () => set.delete(listener)
  }
  Object.defineProperty(window, '__dsdEmit', {
    value: (event: string, payload: unknown) => listeners.get(event)?.forEach((listener) => listener(payload)),
  })
  Object.defineProperty(window, 'api', { value: Object.freeze(api) })
}

async function webHarness(page: Page, rendererUrl: string, dataDir: string, keychainService: string): Promise<{ harness: AppHarness; close(): Promise<void> }> {
  const secretStore = createKeytarSecretStore(keychainService)
  const sentToRenderer: RecordedMessage[] = []
  const notify = (event: CoreEvent): void => {
    if (event.type !== 'ipc') return
    sentToRenderer.push({ channel: `event:${event.name}`, payload: event.payload })
    page.evaluate(([name, payload]) => (window as unknown as { __dsdEmit?: (n: string, p: unknown) => void }).__dsdEmit?.(name as string, payload), [event.name, event.payload] as const).catch(() => {
      // The page may be reloading or closed; the next list load catches up.
    })
  }
  const clipboard = await chromiumClipboard(page)
  const answers: { save: string | null; open: string | null } = { save: null, open: null }
  const dialogsShown: AppHarness['dialogsShown'] = []
  const fileDialogs: FileDialogPort = {
    async chooseExportPath(suggestedName) {
      dialogsShown.push({ kind: 'save', suggestedName })
      const path = answers.save
      answers.save = null
      return path
    },
    async chooseImportPath() {
      dialogsShown.push({ kind: 'open' })
      const path = answers.open
      answers.open = null
      return path
    },
  }
  const startCore = () => createCore({ dataDir, secretStore, fetch: globalThis.fetch, clock: systemClock, notify, clipboard, fileDialogs })
  let core: Core = await startCore()

  await page.exposeBinding('__dsdInvoke', async (_source, method: IpcMethod, payload: unknown) => {
    const handler = core.handlers[method] as ((payload: unknown) => Promise<unknown>) | undefined
    if (!handler) throw new Error(`unknown method ${String(method)}`)
    const result = await handler(payload)
    sentToRenderer.push({ channel: `api:${method}`, payload: result })
    return result
  })
  await page.addInitScript(installApi, ipcMethods)
  await page.goto(rendererUrl)
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()

  const harness: AppHarness = {
    page,
    dataDir,
    keychainService,
    secretStore,
    sentToRenderer,
    async restart() {
      await core.close()
      core = await startCore()
      await page.reload()
      await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    },
    trayModel: async () => buildTrayModel(core.snapshot(), Date.now()),
    // What electron/main/app.ts's tray actions do, with the page as the window.
    async runTrayAction(action) {
      if (action.type === 'renew') await core.renewNow(action.datasourceId)
      else if (action.type === 'open' && action.datasourceId !== undefined) notify({ type: 'ipc', name: 'openDatasource', payload: { id: action.datasourceId } })
    },
    clipboard,
    async answerFileDialog(kind, path) {
      answers[kind] = path
    },
    dialogsShown,
  }
  return { harness, close: () => core.close() }
}

/** The same harness over the packaged app; only used where an Electron binary is installed. */
async function electronHarness(dataDir: string, keychainService: string): Promise<{ harness: AppHarness; close(): Promise<void> }> {
  const env = { ...process.env, DATASOURCE_DESK_DATA_DIR: dataDir, DATASOURCE_DESK_KEYCHAIN_SERVICE: keychainService, DATASOURCE_DESK_E2E: '1' } as Record<string, string>
  const launch = () => _electron.launch({ args: [resolve('.')], env })
  let app = await launch()
  const state = { page: await app.firstWindow() }
  await expect(state.page.locator('[data-app-state="ready"]')).toBeVisible()
  const harness: AppHarness = {
    get page() {
      return state.page
    },
    dataDir,
    keychainService,
    secretStore: createKeytarSecretStore(keychainService),
    // Messages cross Electron's IPC inside the app; the canary checks read them in the web target.
    sentToRenderer: [],
    async restart() {
      await app.close()
      app = await launch()
      state.page = await app.firstWindow()
      await expect(state.page.locator('[data-app-state="ready"]')).toBeVisible()
    },
    trayModel: () => app.evaluate(() => (globalThis as unknown as { __datasourceDeskTrayModel: TrayModel }).__datasourceDeskTrayModel),
    runTrayAction: (action) => app.evaluate((_electron, given) => (globalThis as unknown as { __datasourceDeskTrayRun: (action: TrayAction) => void }).__datasourceDeskTrayRun(given), action),
    // The packaged app writes Electron's clipboard itself; only reading it is possible from here.
    clipboard: recordingClipboard(() => app.evaluate(({ clipboard }) => clipboard.readText())),
    async answerFileDialog(kind, path) {
      await app.evaluate(
        ({ dialog }, [which, chosen]) => {
          if (which === 'save') dialog.showSaveDialog = (async () => ({ canceled: chosen === null, filePath: chosen ?? '' })) as typeof dialog.showSaveDialog
          else dialog.showOpenDialog = (async () => ({ canceled: chosen === null, filePaths: chosen === null ? [] : [chosen] })) as typeof dialog.showOpenDialog
        },
        [kind, path] as const,
      )
    },
    dialogsShown: [],
  }
  return { harness, close: () => app.close() }
}

interface WorkerFixtures {
  oauthServer: OAuthTestServer
  rendererServer: StaticServer
}

interface TestFixtures {
  app: AppHarness
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  oauthServer: [
    async ({}, use) => {
      const server = await startOAuthServer()
      await use(server)
      await server.close()
    },
    { scope: 'worker' },
  ],
  rendererServer: [
    async ({}, use) => {
      const server = await startStaticServer(rendererDir)
      await use(server)
      await server.close()
    },
    { scope: 'worker' },
  ],
  app: async ({ page, rendererServer, oauthServer }, use, testInfo) => {
    // The server is shared by the worker's tests: put back what a previous test may have steered.
    await oauthServer.restart().catch(() => undefined)
    oauthServer.setTokenLifetime(3600)
    oauthServer.setIssueRefreshTokens(true)
    oauthServer.setUserPassword(TEST_USER.username, TEST_USER.password)
    const dataDir = await mkdtemp(join(tmpdir(), 'dsd-e2e-'))
    const keychainService = `datasource-desk-e2e-${randomUUID()}`
    const target = testInfo.project.name === 'electron' ? 'electron' : 'web'
    const { harness, close } =
      target === 'electron' ? await electronHarness(dataDir, keychainService) : await webHarness(page, rendererServer.url, dataDir, keychainService)
    await use(harness)
    await close()
    // Leave nothing behind in the real keychain.
    for (const account of await harness.secretStore.accounts().catch(() => [])) await harness.secretStore.delete(account).catch(() => false)
    await rm(dataDir, { recursive: true, force: true })
  },
})
