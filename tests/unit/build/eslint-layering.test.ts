/**
 * The layering rules in eslint.config.js, checked on source text placed at paths in each layer
 * (lintText with a filePath; nothing is written to disk), and the type-aware promise rule of the
 * Node layers.
 */
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { beforeAll, describe, expect, it } from 'vitest'

let eslint: ESLint

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-syntax')
    .map((message) => message.message)
}

const cases: ReadonlyArray<[file: string, code: string, allowed: boolean]> = [
  ['shared/probe.ts', "import { z } from 'zod'", true],
  ['shared/probe.ts', "import { ok } from './errors'", true],
  ['shared/probe.ts', "import { app } from 'electron'", false],
  ['shared/probe.ts', "import { join } from 'node:path'", false],
  ['shared/probe.ts', "import { join } from 'path'", false],
  ['shared/probe.ts', "import { ref } from 'vue'", false],
  ['shared/probe.ts', "import { systemClock } from '../electron/core/deps'", false],
  ['shared/probe.ts', "import { api } from '../renderer/src/api'", false],
  ['electron/core/probe.ts', "import { readFileSync } from 'node:fs'", true],
  ['electron/core/probe.ts', "import { ipcMethods } from '../../shared/ipc'", true],
  ['electron/core/probe.ts', "import { systemClock } from './deps'", true],
  ['electron/core/probe.ts', "import { app } from 'electron'", false],
  ['electron/core/probe.ts', "import { ref } from 'vue'", false],
  ['electron/core/probe.ts', "import { api } from '../../renderer/src/api'", false],
  ['electron/core/probe.ts', "import { startApp } from '../main/app'", false],
  ['electron/core/db/probe.ts', "import { startApp } from '../../main/app'", false],
  ['electron/core/probe.ts', "import keytar from 'keytar'", false],
  ['electron/core/probe.ts', "export const load = () => import('keytar')", false],
  ['electron/core/probe.ts', "import { EXIT_CODES } from '../cli/exit-codes'", false],
  ['electron/core/oauth/probe.ts', "import { EXIT_CODES } from '../../cli/exit-codes'", false],
  ['electron/core/secrets/keytar-secret-store.ts', "import { EXIT_CODES } from '../../cli/exit-codes'", false],
  ['electron/core/secrets/keytar-secret-store.ts', "export const load = () => import('keytar')", true],
  ['electron/core/secrets/keytar-secret-store.ts', "import { app } from 'electron'", false],
  ['electron/main/probe.ts', "import { app, BrowserWindow } from 'electron'", true],
  ['electron/main/probe.ts', "import { createCore } from '../core/core'", true],
  ['electron/main/probe.ts', "import { ipcMain } from 'electron'", false],
  ['electron/main/probe.ts', "import { ipcRenderer } from 'electron'", false],
  ['electron/main/probe.ts', "import keytar from 'keytar'", false],
  ['electron/main/ipc.ts', "import { ipcMain } from 'electron'", true],
  ['electron/main/ipc.ts', "import { ipcRenderer } from 'electron'", false],
  ['electron/preload/index.ts', "import { contextBridge, ipcRenderer } from 'electron'", true],
  ['electron/preload/index.ts', "import { channelOf } from '../../shared/ipc'", true],
  ['electron/preload/index.ts', "import { ipcMain } from 'electron'", false],
  ['electron/preload/index.ts', "import { systemClock } from '../core/deps'", false],
  ['electron/cli/probe.ts', "import { createCore } from '../core/core'", true],
  ['electron/cli/probe.ts', "import { app } from 'electron'", false],
  ['electron/cli/probe.ts', "import { startApp } from '../main/app'", false],
  ['electron/cli/probe.ts', "import { ref } from 'vue'", false],
  ['renderer/src/probe.ts', "import { ref } from 'vue'", true],
  ['renderer/src/probe.ts', "import { ipcMethods } from '../../shared/ipc'", true],
  ['renderer/src/probe.ts', "import { ipcRenderer } from 'electron'", false],
  ['renderer/src/probe.ts', "import { readFile } from 'node:fs/promises'", false],
  ['renderer/src/probe.ts', "import { readFile } from 'fs/promises'", false],
  ['renderer/src/probe.ts', "import { systemClock } from '../../electron/core/deps'", false],
  ['tests/unit/probe.test.ts', "import { app } from 'electron'", false],
  ['tests/unit/probe.test.ts', "import keytar from 'keytar'", false],
  ['tests/unit/probe.test.ts', "import { createCore } from '../../electron/core/core'", true],
]

describe('layering lint rules', () => {
  beforeAll(() => {
    // The probe files do not exist, so no TypeScript program holds them: the imports are checked
    // without type information, which the layering rules do not need.
    eslint = new ESLint({ cwd: process.cwd(), overrideConfig: tseslint.configs.disableTypeChecked })
  })

  it.each(cases)('%s: %s -> allowed %s', async (file, code, allowed) => {
    const errors = await layeringErrors(file, code)
    if (allowed) expect(errors).toEqual([])
    else expect(errors.length).toBeGreaterThan(0)
  })

  it('layers .vue files of the renderer too', async () => {
    const errors = await layeringErrors('renderer/src/components/Probe.vue', "<script setup lang=\"ts\">\nimport { ipcRenderer } from 'electron'\n</script>\n")
    expect(errors.length).toBeGreaterThan(0)
  })
})

describe('promise discipline in the Node layers', () => {
  // A real file of each layer, so the type-aware rule has its TypeScript program.
  const typeAware = new ESLint({ cwd: process.cwd() })

  // Building the TypeScript program takes a while on a loaded machine; the rule itself is quick.
  it.each(['electron/core/deps.ts', 'electron/main/menu.ts', 'electron/cli/output.ts'])('%s: a floating promise is an error', { timeout: 120_000 }, async (filePath) => {
    const floating = 'export async function probe(): Promise<void> {\n  Promise.resolve(1)\n}\n'
    const handled = 'export async function probe(): Promise<void> {\n  await Promise.resolve(1)\n  void Promise.resolve(2).catch(() => {})\n}\n'
    const rules = async (code: string) => ((await typeAware.lintText(code, { filePath }))[0]?.messages ?? []).map((message) => message.ruleId)
    expect(await rules(floating)).toContain('@typescript-eslint/no-floating-promises')
    expect(await rules(handled)).not.toContain('@typescript-eslint/no-floating-promises')
  })
})
