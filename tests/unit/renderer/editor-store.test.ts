import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { datasourceView, FakeApi } from '../../support/fake-api'
import { useEditorStore } from '../../../renderer/src/stores/editor-store'

let api: FakeApi

beforeEach(() => {
  setActivePinia(createPinia())
  api = new FakeApi()
  window.api = api
})

function fillValid(editor: ReturnType<typeof useEditorStore>): void {
  Object.assign(editor.model, {
    name: 'CRM',
    url: 'https://api.example.com',
    tokenUrl: 'https://auth.example.com/token',
    clientId: 'desk',
    clientSecret: 's3cr+t/=',
    username: 'ada',
    password: 'pa ss',
  })
}

describe('useEditorStore: the input it sends', () => {
  it('sends typed secrets as "set" for a new datasource, untrimmed', () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    const auth = editor.input.auth
    expect(auth.type).toBe('oauth2-password')
    if (auth.type !== 'oauth2-password') return
    expect(auth.clientSecret).toEqual({ action: 'set', value: 's3cr+t/=' })
    expect(auth.password).toEqual({ action: 'set', value: 'pa ss' })
    expect(auth.rememberPassword).toBe(true)
    expect(auth.clientAuth).toBe('basic')
  })

  it('keeps stored secrets unless a new one is typed, and clears on request', async () => {
    const saved = datasourceView()
    api.seed(saved)
    const editor = useEditorStore()
    await editor.open(saved.id)
    const secrets = () => {
      const auth = editor.input.auth
      return auth.type === 'oauth2-password' ? [auth.clientSecret, auth.password] : []
    }
    expect(secrets()).toEqual([{ action: 'keep' }, { action: 'keep' }])
    editor.model.password = 'new one'
    editor.clearSecret('clientSecret')
    expect(secrets()).toEqual([{ action: 'set', value: '' }, { action: 'set', value: 'new one' }])
    expect(editor.input.id).toBe(saved.id)
  })

  it('sends extra parameters without the row keys', () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    const row = editor.addExtraParam()
    row.name = 'audience'
    row.value = 'https://api'
    const auth = editor.input.auth
    expect(auth.type === 'oauth2-password' && auth.extraParams).toEqual([{ name: 'audience', value: 'https://api' }])
  })

  it('drops the OAuth fields when authentication is None', () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    editor.model.authType = 'none'
    expect(editor.input.auth).toEqual({ type: 'none' })
    expect(editor.isValid).toBe(true)
  })
})

describe('useEditorStore: validation', () => {
  it('shows schema messages only after a field was touched or the form submitted', async () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    editor.model.tokenUrl = 'http://auth.example.com/token'
    expect(editor.issues['auth.tokenUrl']).toMatch(/https/)
    expect(editor.issueFor('auth.tokenUrl')).toBeUndefined()
    editor.touch('auth.tokenUrl')
    expect(editor.issueFor('auth.tokenUrl')).toMatch(/https/)
    editor.model.tokenUrl = 'http://127.0.0.1:8080/token'
    expect(editor.issueFor('auth.tokenUrl')).toBeUndefined()
  })

  it('refuses to test or save an invalid form and then shows every message', async () => {
    const editor = useEditorStore()
    editor.startNew()
    expect(await editor.runTest()).toBe('invalid')
    expect(await editor.save()).toBeNull()
    expect(editor.issueFor('name')).toBe('Name is required')
    expect(editor.issueFor('auth.clientId')).toBe('Client ID is required')
    expect(api.calls.filter((call) => call.method !== 'getHistory')).toEqual([])
  })
})

describe('useEditorStore: test and save', () => {
  it('saves with the testId of a successful test while the settings are unchanged', async () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    await editor.runTest()
    expect(editor.test.phase).toBe('success')
    const testId = editor.test.phase === 'success' ? editor.test.testId : ''
    const saved = await editor.save()
    expect(saved?.status.token).not.toBeNull()
    expect(api.callsOf('saveDatasource')).toEqual([expect.objectContaining({ testId })])
  })

  it('does not pass the testId once token-relevant settings changed after the test', async () => {
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    await editor.runTest()
    editor.model.scope = 'other'
    expect(editor.testStillApplies).toBe(false)
    await editor.save()
    expect(api.callsOf('saveDatasource')[0]).not.toHaveProperty('testId')
  })

  it('keeps a failed test as a failure with its error', async () => {
    api.testBehaviour = { kind: 'failure', error: { kind: 'oauth', code: 'invalid_client', message: 'Client refused', httpStatus: 401 } }
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    await editor.runTest()
    expect(editor.test.phase === 'failure' && editor.test.error.code).toBe('invalid_client')
  })

  it('cancels a running test and ignores its late answer', async () => {
    api.testBehaviour = { kind: 'hang' }
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    const running = editor.runTest()
    expect(editor.test.phase).toBe('running')
    const testId = editor.test.phase === 'running' ? editor.test.testId : ''
    editor.cancelTest()
    await running
    expect(editor.test.phase).toBe('cancelled')
    expect(api.callsOf('cancelTest')).toEqual([{ testId }])
  })

  it('shows a name conflict at the name field', async () => {
    api.seed(datasourceView({ name: 'CRM' }))
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    expect(await editor.save()).toBeNull()
    expect(editor.issueFor('name')).toMatch(/already exists/)
    editor.model.name = 'CRM 2'
    editor.edited('name')
    expect(editor.issueFor('name')).toBeUndefined()
  })

  it('puts the main process field issues at their fields', async () => {
    api.failures.set('saveDatasource', {
      kind: 'validation',
      code: 'invalid-input',
      message: 'Check the fields',
      fieldIssues: [{ path: 'auth.username', message: 'Unknown user format' }],
    })
    const editor = useEditorStore()
    editor.startNew()
    fillValid(editor)
    await editor.save()
    expect(editor.issueFor('auth.username')).toBe('Unknown user format')
    expect(editor.formError).toBeNull()
  })
})
