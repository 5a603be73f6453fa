/**
 * The compile cache never creates the data folder: the app and the writing commands make it
 * private (0700). Enabling the cache itself is tested through the built command
 * (tests/integration/cli/cli-token-paths.test.ts), not here, where it would cache this test runner.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheCompiledCode } from '../../../electron/cli/compile-cache'
import { makeTempDir } from '../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir> | undefined
afterEach(() => temp?.cleanup())

describe('cacheCompiledCode', () => {
  it('creates nothing when the data folder does not exist yet', () => {
    temp = makeTempDir('dsd-compile-cache-')
    const dataDir = join(temp.dir, 'not-yet', 'Datasource Desk')
    cacheCompiledCode(dataDir)
    expect(existsSync(join(temp.dir, 'not-yet'))).toBe(false)
  })
})
