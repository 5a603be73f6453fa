// Lint for the whole repository: typescript-eslint, eslint-plugin-vue for the renderer, and the
// layering rules that keep the runtime layers apart (ARCHITECTURE.md: shared <- electron/core <-
// electron/main and electron/cli; shared <- renderer). Type-aware rules run only where promise
// discipline decides correctness (the core, main and the CLI), so lint stays fast elsewhere.
import { builtinModules } from 'node:module'
import { defineConfig } from 'eslint/config'
import pluginVue from 'eslint-plugin-vue'
import tseslint from 'typescript-eslint'

const KEYTAR_FILE = 'electron/core/secrets/keytar-secret-store.ts'
const IPC_MAIN_FILE = 'electron/main/ipc.ts'

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'))
const nodeBuiltinRegex = `^(node:.*|(${nodeBuiltins.join('|')})(/.*)?)$`

const bannedPackage = (name, message) => ({ name, message })
const keytarBan = bannedPackage('keytar', `Only ${KEYTAR_FILE} talks to keytar; use the SecretStore interface.`)
const electronBan = bannedPackage('electron', "Only electron/main and electron/preload may import 'electron'; the core and the tests run under plain Node.")
const vueBan = (layer) => [bannedPackage('vue', `${layer} has no UI; Vue belongs to renderer/.`), bannedPackage('pinia', `${layer} has no UI; Pinia belongs to renderer/.`)]
const ipcMainBan = {
  name: 'electron',
  importNames: ['ipcMain'],
  message: `ipcMain is used only in ${IPC_MAIN_FILE}, which checks every sender.`,
}
const ipcRendererBan = {
  name: 'electron',
  importNames: ['ipcRenderer'],
  message: 'ipcRenderer is used only in electron/preload, which exposes named methods.',
}
const ipcBothBan = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message: `ipcMain only in ${IPC_MAIN_FILE}, ipcRenderer only in electron/preload.`,
}
const relativeInto = (folders, message) => ({ regex: `^(\\.\\./)+(${folders})(/|$)`, message })

/** The layering rules: each block replaces the rule for its files, so each lists every ban. */
const layer = (files, { paths = [], patterns = [] }, ignores = []) => ({
  files,
  ignores,
  rules: {
    'no-restricted-imports': ['error', { paths, patterns }],
    // no-restricted-imports does not see import() or require(). (A bare 'error' would keep the
    // options of an earlier block, so the keytar file turns the rule off instead.)
    'no-restricted-syntax': files.includes(KEYTAR_FILE)
      ? 'off'
      : [
          'error',
          { selector: "ImportExpression[source.value='keytar']", message: `Only ${KEYTAR_FILE} talks to keytar.` },
          { selector: "CallExpression[callee.name='require'][arguments.0.value='keytar']", message: `Only ${KEYTAR_FILE} talks to keytar.` },
        ],
  },
})

/** Node code whose correctness depends on every promise being awaited or handled on purpose. */
const PROMISE_DISCIPLINE_FILES = ['electron/core/**/*.ts', 'electron/main/**/*.ts', 'electron/cli/**/*.ts']
const typeAware = {
  files: PROMISE_DISCIPLINE_FILES,
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  rules: { '@typescript-eslint/no-floating-promises': 'error' },
}

const layering = [
  layer(['**/*.{js,mjs,cjs,ts,vue}'], { paths: [keytarBan, electronBan] }),
  layer(['shared/**/*.ts'], {
    patterns: [
      { regex: '^(?!\\.{1,2}/|zod(/|$))', message: 'shared/ is pure TypeScript for both sides: it may import only shared/ files and zod.' },
      relativeInto('electron|renderer|tests|scripts|resources', 'shared/ may not import anything outside shared/.'),
    ],
  }),
  layer(
    ['electron/core/**/*.ts'],
    {
      paths: [keytarBan, electronBan, ...vueBan('electron/core')],
      patterns: [
        relativeInto('renderer', 'electron/core may not import the renderer.'),
        relativeInto('(electron/)?(main|preload|cli)', 'electron/core may not import electron/main, electron/preload or electron/cli: they depend on it, not the reverse.'),
      ],
    },
    [KEYTAR_FILE],
  ),
  layer([KEYTAR_FILE], {
    paths: [electronBan, ...vueBan('electron/core')],
    patterns: [relativeInto('renderer|main|preload|cli', 'electron/core may not import the renderer, electron/main, electron/preload or electron/cli.')],
  }),
  layer(
    ['electron/main/**/*.ts'],
    { paths: [keytarBan, ipcBothBan, ...vueBan('electron/main')], patterns: [relativeInto('renderer', 'electron/main may not import the renderer; it loads it.')] },
    [IPC_MAIN_FILE],
  ),
  layer([IPC_MAIN_FILE], {
    paths: [keytarBan, ipcRendererBan, ...vueBan('electron/main')],
    patterns: [relativeInto('renderer', 'electron/main may not import the renderer; it loads it.')],
  }),
  layer(['electron/preload/**/*.ts'], {
    paths: [keytarBan, ipcMainBan, ...vueBan('electron/preload'), bannedPackage('better-sqlite3', 'The preload runs sandboxed; storage is in electron/core.')],
    patterns: [relativeInto('core|main|renderer', 'The sandboxed preload may import only shared/ (it is bundled into one CommonJS file).')],
  }),
  // The command line runs under plain Node on the core, like the app's main process minus Electron.
  layer(['electron/cli/**/*.ts'], {
    paths: [keytarBan, electronBan, ...vueBan('electron/cli')],
    patterns: [relativeInto('renderer|main|preload', 'electron/cli uses electron/core and shared/ only; it never loads the app shell or the renderer.')],
  }),
  layer(['renderer/**/*.{ts,vue}'], {
    paths: [keytarBan, electronBan, bannedPackage('better-sqlite3', 'The renderer reaches storage only through window.api.')],
    patterns: [
      { regex: nodeBuiltinRegex, message: 'The renderer runs in a sandboxed browser page: no Node built-ins.' },
      relativeInto('electron', 'The renderer may not import electron/: it talks to main only through window.api.'),
    ],
  }),
]

export default defineConfig(
  { ignores: ['out/', 'node_modules/', 'test-results/', 'playwright-report/', 'dist/', 'release/', 'coverage/'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  // Layout is a formatter's job, not a linter's: the recommended set's layout rules (attribute per
  // line, self-closing tags...) are turned off so that lint reports only real problems.
  pluginVue.configs['no-layout-rules'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    rules: {
      // Unused parameters named with a leading underscore document a callback's shape.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  typeAware,
  ...layering,
)
