/**
 * The ipcMain layer over a real core, fuzzed (issue 5, "Hostile input" and "every IPC message's
 * sender checked"): random senders (our window's main frame, a subframe, another page, another
 * WebContents, a frame that is gone) send hostile payloads on every channel. A foreign sender is
 * refused before the core sees anything; ours gets the core's typed answer; no invoke ever rejects
 * and nothing is stored or fetched.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createCore, type Core } from '../../../electron/core/core'
import { systemClock } from '../../../electron/core/deps'
import type { Result } from '../../../shared/errors'
import { channelOf, ipcContract, ipcMethods } from '../../../shared/ipc'
import { electronState, FakeWebContents, invokeEventFrom, resetElectronMock } from '../../support/electron-mock'
import { hostilePayload, shortReport } from '../../support/hostile-payloads'
import { MemorySecretStore } from '../../support/memory-secret-store'
import { makeTempDir } from '../../support/temp-dir'

vi.mock('electron', async () => (await import('../../support/electron-mock')).electronModule)

const { createSenderCheck, registerIpcMainHandlers, untrustedSenderError } = await import('../../../electron/main/ipc')

const appUrl = 'file:///opt/datasource-desk/out/renderer/index.html'
const RUNS = 300

type SenderKind = 'ours' | 'subframe' | 'other-url' | 'other-contents' | 'frame-gone' | 'other-process'
const senderKinds: ReadonlyArray<SenderKind> = ['ours', 'subframe', 'other-url', 'other-contents', 'frame-gone', 'other-process']

let core: Core
let temp: ReturnType<typeof makeTempDir>
const secretStore = new MemorySecretStore()
const fetchCalls: string[] = []
const window = { webContents: new FakeWebContents(), isDestroyed: () => false }
window.webContents.mainFrame.url = appUrl

function eventFrom(kind: SenderKind): unknown {
  switch (kind) {
    case 'ours':
      return invokeEventFrom(window.webContents)
    case 'subframe':
      return invokeEventFrom(window.webContents, { routingId: 4242, parent: {} })
    case 'other-url':
      return invokeEventFrom(window.webContents, { url: 'https://evil.example/index.html' })
    case 'other-contents':
      return invokeEventFrom(new FakeWebContents(), { url: appUrl })
    case 'frame-gone':
      return invokeEventFrom(window.webContents, null)
    case 'other-process':
      return invokeEventFrom(window.webContents, { processId: 999 })
  }
}

describe('ipcMain handlers over a real core, fuzzed', () => {
  beforeAll(async () => {
    resetElectronMock()
    temp = makeTempDir('dsd-ipc-fuzz-')
    core = await createCore({
      dataDir: temp.dir,
      secretStore,
      fetch: async (input) => {
        fetchCalls.push(String(input))
        throw new Error('no fetch expected')
      },
      clock: systemClock,
      notify: () => {},
    })
    registerIpcMainHandlers(core.handlers, createSenderCheck(() => window, (url) => url === appUrl))
  })

  afterAll(async () => {
    await core?.close()
    temp?.cleanup()
  })

  it('refuses foreign senders and validates our own, on every channel', async () => {
    const callsBefore = secretStore.calls
    const arbitrary = fc
      .constantFrom(...ipcMethods)
      .chain((method) => fc.tuple(fc.constant(method), fc.constantFrom(...senderKinds), hostilePayload(method)))
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, sender, payload]) => {
        const valid = ipcContract[method].payload.safeParse(payload ?? {}).success
        fc.pre(!(valid && (method === 'saveDatasource' || method === 'testConnection' || method === 'tryOtherClientAuth' || method === 'discoverIssuer')))
        const listener = electronState.ipcHandlers.get(channelOf(method))
        if (!listener) throw new Error(`no handler on ${channelOf(method)}`)
        const result = (await listener(eventFrom(sender), payload)) as Result<unknown>
        if (sender !== 'ours') {
          expect(result).toEqual({ ok: false, error: untrustedSenderError })
        } else if (!valid) {
          expect(result).toMatchObject({ ok: false, error: { kind: 'validation' } })
        } else {
          expect(typeof result.ok).toBe('boolean')
        }
        expect(() => structuredClone(result)).not.toThrow()
        expect(secretStore.values.size).toBe(0)
        expect(fetchCalls).toEqual([])
        expect(core.snapshot()).toEqual([])
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: 60_000, reporter: shortReport },
    )
    // Only valid getAppState calls from our window touch the keychain (to report whether it works).
    expect(secretStore.calls - callsBefore).toBeLessThan(RUNS)
  })
})
