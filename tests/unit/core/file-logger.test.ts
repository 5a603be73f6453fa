import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFileLogger, LOG_FILE } from '../../../electron/core/file-logger'
import { Secret } from '../../../electron/core/secrets/secret'
import { makeTempDir } from '../../support/temp-dir'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(() => temp.cleanup())

describe('createFileLogger', () => {
  it('appends one JSON line per entry with time and level', () => {
    const logger = createFileLogger(join(temp.dir, 'logs'), () => Date.UTC(2026, 10, 26, 12))
    logger.info('renewed', { datasourceId: 'a' })
    logger.error('failed', { code: 'timeout' })
    const lines = readFileSync(join(temp.dir, 'logs', LOG_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(lines).toEqual([
      { at: '2026-11-26T12:00:00.000Z', level: 'info', message: 'renewed', datasourceId: 'a' },
      { at: '2026-11-26T12:00:00.000Z', level: 'error', message: 'failed', code: 'timeout' },
    ])
  })

  it('writes a Secret as [redacted]', () => {
    const logger = createFileLogger(temp.dir)
    logger.warn('careless', { value: new Secret('canary-value-123') })
    const text = readFileSync(join(temp.dir, LOG_FILE), 'utf8')
    expect(text).toContain('[redacted]')
    expect(text).not.toContain('canary-value-123')
  })

  it('keeps going when the folder cannot be written', () => {
    writeFileSync(join(temp.dir, 'not-a-folder'), '')
    const logger = createFileLogger(join(temp.dir, 'not-a-folder'))
    expect(() => logger.info('still fine')).not.toThrow()
  })

  it('rotates the file once it grows past 1 MiB', () => {
    const logger = createFileLogger(temp.dir)
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 20; i++) logger.info('filler', { big })
    expect(readFileSync(join(temp.dir, `${LOG_FILE}.1`), 'utf8').length).toBeGreaterThan(1024 * 1024)
    expect(readFileSync(join(temp.dir, LOG_FILE), 'utf8').length).toBeLessThan(1024 * 1024)
  })
})
