import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import {
  datasourceInputSchema,
  emptyDatasourceInput,
  type AuthType,
  type ClientAuthMethod,
  type DatasourceInput,
  type DatasourceView,
  type DiscoveredServer,
  type SecretInput,
} from '../../../shared/datasource'
import { hasPlaceholder, type Preset, type PresetId } from '../../../shared/presets'
import type { AppError } from '../../../shared/errors'
import { asDatasourceId, type DatasourceId } from '../../../shared/ids'
import type { TestReport } from '../../../shared/connection-test'
import type { HistoryEvent } from '../../../shared/history'
import { revocationText } from '../../../shared/revocation'
import { urlOrigin } from '../../../shared/url-parts'
import { getApi } from '../api'
import { call, useDatasourcesStore } from './datasources-store'
import { useToastStore } from './toast-store'

export interface ExtraParamRow {
  /** Stable identity for v-for and focus; never sent. */
  readonly key: number
  name: string
  value: string
}

/** The form as the user edits it: flat, with secrets as plain strings that stay empty unless typed. */
export interface FormModel {
  name: string
  url: string
  authType: AuthType
  tokenUrl: string
  clientId: string
  clientSecret: string
  clientAuth: ClientAuthMethod
  username: string
  password: string
  rememberPassword: boolean
  scope: string
  extraParams: ExtraParamRow[]
  /** The issuer URL the token URL was discovered from ('' when typed by hand). */
  issuer: string
  preset: PresetId
}

export type SecretField = 'clientSecret' | 'password'

export type TestState =
  | { readonly phase: 'idle' }
  | { readonly phase: 'running'; readonly testId: string }
  | { readonly phase: 'success'; readonly testId: string; readonly report: TestReport; readonly authSnapshot: string }
  | { readonly phase: 'failure'; readonly error: AppError }
  | { readonly phase: 'cancelled' }

/** Dotted form paths, the same ones zod issues and the main process's fieldIssues use. */
export const fieldPaths = {
  name: 'name',
  url: 'url',
  tokenUrl: 'auth.tokenUrl',
  clientId: 'auth.clientId',
  clientSecret: 'auth.clientSecret',
  clientAuth: 'auth.clientAuth',
  username: 'auth.username',
  password: 'auth.password',
  scope: 'auth.scope',
  extraParams: 'auth.extraParams',
} as const

/**
 * The field a failed test is about, so the message can sit under it: a rejected password under the
 * password, an unknown client under the client ID, a wrong secret under the secret, and anything
 * that never reached the server under the token URL.
 */
export function fieldOfError(error: AppError, clientAuth: ClientAuthMethod): string | undefined {
  if (error.kind === 'oauth') {
    if (error.code === 'invalid_grant') return fieldPaths.password
    if (error.code === 'invalid_client' || error.code === 'unauthorized_client') return clientAuth === 'none' ? fieldPaths.clientId : fieldPaths.clientSecret
    if (error.code === 'invalid_scope') return fieldPaths.scope
    return undefined
  }
  if (error.kind === 'network' || error.kind === 'invalid-response') return fieldPaths.tokenUrl
  return undefined
}

export const extraParamPath = (index: number, part: 'name' | 'value'): string => `auth.extraParams.${index}.${part}`

let nextRowKey = 1

function blankModel(): FormModel {
  const empty = emptyDatasourceInput()
  const auth = empty.auth.type === 'oauth2-password' ? empty.auth : null
  return {
    name: empty.name,
    url: empty.url,
    authType: empty.auth.type,
    tokenUrl: '',
    clientId: '',
    clientSecret: '',
    clientAuth: auth?.clientAuth ?? 'basic',
    username: '',
    password: '',
    rememberPassword: auth?.rememberPassword ?? true,
    scope: '',
    extraParams: [],
    issuer: '',
    preset: 'other',
  }
}

function modelFromView(view: DatasourceView): FormModel {
  const model = blankModel()
  model.name = view.name
  model.url = view.url
  model.authType = view.auth.type
  if (view.auth.type === 'oauth2-password') {
    Object.assign(model, {
      tokenUrl: view.auth.tokenUrl,
      clientId: view.auth.clientId,
      clientAuth: view.auth.clientAuth,
      username: view.auth.username,
      rememberPassword: view.auth.rememberPassword,
      scope: view.auth.scope,
      extraParams: view.auth.extraParams.map((param) => ({ key: nextRowKey++, name: param.name, value: param.value })),
      issuer: view.auth.issuer ?? '',
      preset: view.auth.preset ?? 'other',
    })
  }
  return model
}

/**
 * The create/edit screen: the form model, validation with the shared schema, Test connection
 * (with cancel) and Save. The renderer never holds a stored secret: an untouched secret field is
 * sent as `keep`, a typed one as `set`.
 */
export const useEditorStore = defineStore('editor', () => {
  const datasources = useDatasourcesStore()
  const toasts = useToastStore()

  const id = ref<DatasourceId | null>(null)
  const original = ref<DatasourceView | null>(null)
  const model = reactive<FormModel>(blankModel())
  const cleared = reactive<Record<SecretField, boolean>>({ clientSecret: false, password: false })
  const touched = reactive(new Set<string>())
  const submitted = ref(false)
  const serverIssues = ref<Record<string, string>>({})
  const formError = ref<AppError | null>(null)
  const loading = ref(false)
  const loadError = ref<AppError | null>(null)
  const saving = ref(false)
  const deleting = ref(false)
  const test = ref<TestState>({ phase: 'idle' })
  const history = ref<ReadonlyArray<HistoryEvent>>([])
  const historyError = ref<AppError | null>(null)

  const isNew = computed(() => id.value === null)

  /** The form as it was opened; leaving with anything else asks before throwing the edits away. */
  const baseline = ref('')
  /** The authentication settings as they were opened: a change there means the stored token no longer applies. */
  const authBaseline = ref('')
  const formState = () => JSON.stringify({ model, cleared })
  const isDirty = computed(() => formState() !== baseline.value)

  /** Whether the keychain already holds this secret (and the user has not asked to clear it). */
  function hasStored(field: SecretField): boolean {
    const auth = original.value?.auth
    if (!auth || auth.type !== 'oauth2-password' || cleared[field]) return false
    return field === 'clientSecret' ? auth.hasClientSecret : auth.hasPassword
  }

  /**
   * Credentials follow their server (issue 11, item 5): the token URL now points at another origin
   * while stored secrets would be kept. They are not sent there unless the user types them again
   * or ticks "Send the stored ... to <host>" (confirmedOrigin, checked again by the core).
   */
  const movedSecrets = computed<{ readonly host: string; readonly origin: string; readonly fields: ReadonlyArray<SecretField> } | null>(() => {
    const auth = original.value?.auth
    if (!auth || auth.type !== 'oauth2-password' || model.authType !== 'oauth2-password') return null
    const before = urlOrigin(auth.tokenUrl.trim())
    const after = urlOrigin(model.tokenUrl.trim())
    if (before === null || after === null || before === after) return null
    const fields: SecretField[] = []
    if (model.clientAuth !== 'none' && model.clientSecret === '' && hasStored('clientSecret')) fields.push('clientSecret')
    if (model.password === '' && hasStored('password')) fields.push('password')
    return fields.length > 0 ? { host: new URL(after).host, origin: after, fields } : null
  })
  const confirmedOrigin = ref<string | null>(null)
  /** The checkbox; off by default, and off again whenever the token URL moves to yet another origin. */
  const sendStoredToNewOrigin = computed<boolean>({
    get: () => movedSecrets.value !== null && confirmedOrigin.value === movedSecrets.value.origin,
    set: (send) => {
      confirmedOrigin.value = send && movedSecrets.value ? movedSecrets.value.origin : null
      for (const field of movedSecrets.value?.fields ?? []) edited(fieldPaths[field])
    },
  })

  function secretInput(field: SecretField): SecretInput {
    const value = model[field]
    if (value !== '') return { action: 'set', value }
    return hasStored(field) ? { action: 'keep' } : { action: 'set', value: '' }
  }

  const input = computed<DatasourceInput>(() => {
    const base = { ...(id.value ? { id: id.value } : {}), name: model.name, url: model.url.trim() }
    if (model.authType === 'none') return { ...base, auth: { type: 'none' } }
    return {
      ...base,
      auth: {
        type: 'oauth2-password',
        tokenUrl: model.tokenUrl,
        clientId: model.clientId,
        // For a public client the field is hidden; a stored secret is kept in case the user switches back.
        clientSecret: secretInput('clientSecret'),
        clientAuth: model.clientAuth,
        username: model.username,
        password: secretInput('password'),
        rememberPassword: model.rememberPassword,
        scope: model.scope,
        extraParams: model.extraParams.map((row) => ({ name: row.name, value: row.value })),
        ...(model.issuer.trim() ? { issuer: model.issuer.trim() } : {}),
        ...(model.preset !== 'other' ? { preset: model.preset } : {}),
        ...(sendStoredToNewOrigin.value && movedSecrets.value ? { confirmedOrigin: movedSecrets.value.origin } : {}),
      },
    }
  })

  /** Every client-side issue by path: the same schema the main process validates with. */
  const issues = computed<Record<string, string>>(() => {
    const parsed = datasourceInputSchema.safeParse(input.value)
    const byPath: Record<string, string> = {}
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String).join('.')
        byPath[path] ??= issue.message
      }
    }
    const moved = movedSecrets.value
    if (moved && !sendStoredToNewOrigin.value) {
      for (const field of moved.fields) byPath[fieldPaths[field]] ??= `Enter it again for ${moved.host}, or allow sending the stored one below the token URL`
    }
    return byPath
  })

  const isValid = computed(() => Object.keys(issues.value).length === 0)

  /** The message to show under a field: the schema's once the field was touched or the form submitted; the server's until the field changes. */
  function issueFor(path: string): string | undefined {
    const local = touched.has(path) || submitted.value ? issues.value[path] : undefined
    return local ?? serverIssues.value[path]
  }

  function touch(path: string): void {
    touched.add(path)
  }

  /** Called on every edit of a field: a server message about the old value no longer applies. */
  function edited(path: string): void {
    if (path in serverIssues.value) {
      const rest = { ...serverIssues.value }
      delete rest[path]
      serverIssues.value = rest
    }
    formError.value = null
  }

  function clearSecret(field: SecretField): void {
    cleared[field] = true
    model[field] = ''
    edited(fieldPaths[field])
  }

  function addExtraParam(): ExtraParamRow {
    const row: ExtraParamRow = { key: nextRowKey++, name: '', value: '' }
    model.extraParams.push(row)
    return row
  }

  function removeExtraParam(key: number): void {
    const index = model.extraParams.findIndex((row) => row.key === key)
    if (index !== -1) model.extraParams.splice(index, 1)
    // Indices shift, so per-row "touched" marks would now point at the wrong rows.
    for (const path of [...touched]) if (path.startsWith(`${fieldPaths.extraParams}.`)) touched.delete(path)
  }

  function reset(view: DatasourceView | null): void {
    cancelTest()
    confirmedOrigin.value = null
    id.value = view?.id ?? null
    original.value = view
    Object.assign(model, view ? modelFromView(view) : blankModel())
    cleared.clientSecret = false
    cleared.password = false
    touched.clear()
    submitted.value = false
    serverIssues.value = {}
    formError.value = null
    loadError.value = null
    test.value = { phase: 'idle' }
    history.value = []
    historyError.value = null
    baseline.value = formState()
    authBaseline.value = authSnapshot()
  }

  function startNew(): void {
    reset(null)
  }

  /**
   * A new form with another datasource's settings. Its secrets stay in the keychain with the
   * original (the renderer never holds them), so the copy asks for them again.
   */
  function startDuplicate(source: DatasourceView): void {
    reset(null)
    const copy = modelFromView(source)
    copy.name = `${source.name} (copy)`.slice(0, 100)
    Object.assign(model, copy)
    baseline.value = ''
  }

  async function open(datasourceId: string): Promise<boolean> {
    // Show what the list already knows at once, then the main process's current copy.
    reset(datasources.byId(datasourceId) ?? null)
    id.value = asDatasourceId(datasourceId)
    loading.value = true
    const result = await call(() => getApi().getDatasource({ id: datasourceId }))
    loading.value = false
    if (id.value !== datasourceId) return false
    if (!result.ok) {
      loadError.value = result.error
      return false
    }
    reset(result.value)
    datasources.upsert(result.value)
    void loadHistory()
    return true
  }

  async function loadHistory(): Promise<void> {
    const datasourceId = id.value
    if (!datasourceId) return
    const result = await call(() => getApi().getHistory({ id: datasourceId }))
    if (id.value !== datasourceId) return
    if (result.ok) {
      history.value = result.value
      historyError.value = null
    } else historyError.value = result.error
  }

  const authSnapshot = (): string => JSON.stringify(input.value.auth)

  /** A successful test only counts for Save while the settings that produced its token are unchanged. */
  const testStillApplies = computed(() => test.value.phase === 'success' && test.value.authSnapshot === authSnapshot())

  /**
   * Save would store settings whose token nobody has seen work: a new OAuth datasource, or changed
   * authentication settings, without a test that still applies. The form asks before doing that.
   */
  const untestedAuthChange = computed(
    () => model.authType === 'oauth2-password' && !testStillApplies.value && (id.value === null || authSnapshot() !== authBaseline.value),
  )

  /** Without authentication, a test is only the GET to the URL, so it needs one. */
  const canTest = computed(() => model.authType === 'oauth2-password' || model.url.trim() !== '')

  async function runTest(): Promise<'started' | 'invalid'> {
    if (!isValid.value || !canTest.value) {
      submitted.value = true
      return 'invalid'
    }
    cancelTest()
    const testId = crypto.randomUUID()
    const snapshot = authSnapshot()
    test.value = { phase: 'running', testId }
    const result = await call(() => getApi().testConnection({ testId, input: input.value }))
    // A newer test or a cancel replaced this one: its answer no longer belongs on screen.
    if (test.value.phase !== 'running' || test.value.testId !== testId) return 'started'
    if (result.ok) test.value = { phase: 'success', testId, report: result.value, authSnapshot: snapshot }
    else if (result.error.kind === 'cancelled') test.value = { phase: 'cancelled' }
    else {
      test.value = { phase: 'failure', error: result.error }
      if (result.error.fieldIssues) applyServerIssues(result.error.fieldIssues)
      else {
        const path = model.authType === 'none' ? (result.error.kind === 'network' ? fieldPaths.url : undefined) : fieldOfError(result.error, model.clientAuth)
        if (path) applyServerIssues([{ path, message: result.error.message }])
      }
    }
    return 'started'
  }

  /**
   * Switches the form to the client authentication method the server accepted when the other
   * methods were tried, with that attempt's token as the test result Save keeps.
   */
  function adoptClientAuth(method: ClientAuthMethod, testId: string, report: TestReport): void {
    model.clientAuth = method
    edited(fieldPaths.clientAuth)
    test.value = { phase: 'success', testId, report, authSnapshot: authSnapshot() }
  }

  /** A vendor preset fills what it knows; the user edits the {placeholders} and everything else. */
  function applyPreset(preset: Preset): void {
    if (preset.id === 'other') return
    if (preset.tokenUrlTemplate && (!model.tokenUrl || hasPlaceholder(model.tokenUrl))) model.tokenUrl = preset.tokenUrlTemplate
    if (preset.issuerTemplate && !model.issuer) model.issuer = preset.issuerTemplate
    model.clientAuth = preset.clientAuth
    if (preset.scope && !model.scope) model.scope = preset.scope
    for (const param of preset.params ?? []) {
      if (!model.extraParams.some((row) => row.name === param.name)) model.extraParams.push({ key: nextRowKey++, name: param.name, value: param.value })
    }
    edited(fieldPaths.tokenUrl)
  }

  /** Discovery found the server: its token URL and a client authentication method it supports. */
  function applyDiscovery(server: DiscoveredServer, clientAuth: ClientAuthMethod): void {
    model.tokenUrl = server.tokenEndpoint
    model.clientAuth = clientAuth
    edited(fieldPaths.tokenUrl)
  }

  function cancelTest(): void {
    if (test.value.phase !== 'running') return
    const testId = test.value.testId
    test.value = { phase: 'cancelled' }
    void call(() => getApi().cancelTest({ testId }))
  }

  function applyServerIssues(fieldIssues: ReadonlyArray<{ readonly path: string; readonly message: string }>): void {
    const byPath: Record<string, string> = {}
    for (const issue of fieldIssues) byPath[issue.path] ??= issue.message
    serverIssues.value = byPath
  }

  /** Saves; resolves to the saved view, or null when the form or the main process refused. */
  async function save(): Promise<DatasourceView | null> {
    submitted.value = true
    formError.value = null
    if (!isValid.value || saving.value) return null
    saving.value = true
    const testId = testStillApplies.value && test.value.phase === 'success' ? test.value.testId : undefined
    const result = await call(() => getApi().saveDatasource({ input: input.value, ...(testId ? { testId } : {}) }))
    saving.value = false
    if (result.ok) {
      datasources.upsert(result.value)
      toasts.show(`Saved “${result.value.name}”`)
      reset(result.value)
      return result.value
    }
    const error = result.error
    if (error.fieldIssues?.length) applyServerIssues(error.fieldIssues)
    else if (error.kind === 'conflict') applyServerIssues([{ path: fieldPaths.name, message: error.message }])
    else formError.value = error
    return null
  }

  async function remove(): Promise<boolean> {
    const datasourceId = id.value
    if (!datasourceId || deleting.value) return false
    deleting.value = true
    const name = original.value?.name ?? model.name
    const result = await datasources.remove(datasourceId)
    deleting.value = false
    if (!result.ok && result.error.kind !== 'not-found') {
      formError.value = result.error
      return false
    }
    // Revocation at the server is reported, never a reason to doubt the delete itself.
    const revocation = result.ok && result.value.revocation ? ` ${revocationText(result.value.revocation)}` : ''
    toasts.show(`Deleted “${name}”.${revocation}`, 'info', revocation ? 10_000 : 4000)
    reset(null)
    return true
  }

  return {
    id,
    original,
    model,
    cleared,
    touched,
    submitted,
    serverIssues,
    formError,
    loading,
    loadError,
    saving,
    deleting,
    test,
    history,
    historyError,
    isNew,
    isDirty,
    input,
    issues,
    isValid,
    testStillApplies,
    canTest,
    hasStored,
    movedSecrets,
    sendStoredToNewOrigin,
    issueFor,
    touch,
    edited,
    clearSecret,
    addExtraParam,
    removeExtraParam,
    untestedAuthChange,
    reset,
    startNew,
    startDuplicate,
    open,
    loadHistory,
    runTest,
    adoptClientAuth,
    applyPreset,
    applyDiscovery,
    cancelTest,
    save,
    remove,
  }
})
