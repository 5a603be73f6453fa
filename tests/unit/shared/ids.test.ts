/**
 * Branded ids (issue 12): a datasource id, a test id and plain text are different types. The
 * @ts-expect-error lines fail `npm run typecheck` if a wrong one compiles; at run time an id is
 * still its UUID text, and the IPC schemas hand the core branded ids.
 */
import { describe, expect, it } from 'vitest'
import { datasourceIdSchema } from '../../../shared/datasource'
import { asDatasourceId, newDatasourceId, newTestId, type DatasourceId, type TestId } from '../../../shared/ids'
import { ipcContract, type IpcParsedPayload } from '../../../shared/ipc'
import type { DatasourceService } from '../../../electron/core/datasources'

describe('branded ids', () => {
  it('keeps names, test ids and datasource ids apart at compile time', () => {
    const datasource = newDatasourceId()
    const test = newTestId()
    // @ts-expect-error a name is not a datasource id
    const fromName: DatasourceId = 'CRM'
    // @ts-expect-error a test id is not a datasource id
    const fromTest: DatasourceId = test
    // @ts-expect-error a datasource id is not a test id
    const fromDatasource: TestId = datasource
    // @ts-expect-error the service looks datasources up by id, never by a name
    const lookUp: Parameters<DatasourceService['get']>[0] = 'CRM'
    const asText: string = datasource
    expect([fromName, typeof fromTest, typeof fromDatasource, lookUp, typeof asText]).toEqual(['CRM', 'string', 'string', 'CRM', 'string'])
  })

  it('are UUID v4 text at run time, accepted by the schema', () => {
    const id = newDatasourceId()
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(datasourceIdSchema.parse(id)).toBe(id)
    expect(newTestId()).not.toBe(newTestId())
  })

  it('come out of the IPC schemas branded, with the same text', () => {
    const text = '3f2b7c1e-0000-4000-8000-00000000beef'
    const parsed: IpcParsedPayload<'getDatasource'> = ipcContract.getDatasource.payload.parse({ id: text })
    const id: DatasourceId = parsed.id
    expect(id).toBe(asDatasourceId(text))
    const saved: IpcParsedPayload<'saveDatasource'> = ipcContract.saveDatasource.payload.parse({ input: { name: 'CRM', url: '', auth: { type: 'none' } }, testId: text })
    const testId: TestId | undefined = saved.testId
    expect(testId).toBe(text)
    expect(() => ipcContract.getDatasource.payload.parse({ id: 'CRM' })).toThrow()
  })
})
