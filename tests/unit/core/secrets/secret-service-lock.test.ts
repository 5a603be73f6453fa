/**
 * The lock state is read from a Properties.GetAll answer (secret-service-lock.ts says why never
 * Get): the `Locked` entry among the collection's others, whatever their types and alignment, and
 * "nothing known" when the service left it out. The answers are built here byte by byte in the
 * D-Bus wire format; the real gnome-keyring answer is read in
 * tests/integration/secrets/secret-service-lock.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { readLockedProperty } from '../../../../electron/core/secrets/secret-service-lock'

type Value = { type: 's' | 'o'; value: string } | { type: 'b' | 'u'; value: number } | { type: 't'; value: bigint } | { type: 'ao'; value: string[] }

/** A little-endian a{sv} body that starts at `bodyOffset` in its message (alignment counts from there). */
function propertiesBody(entries: ReadonlyArray<[string, Value]>, bodyOffset = 16) {
  const bytes: number[] = []
  const at = () => bodyOffset + bytes.length
  const pad = (boundary: number) => {
    while (at() % boundary !== 0) bytes.push(0)
  }
  const u32 = (value: number) => {
    pad(4)
    bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff)
  }
  const string = (value: string) => {
    const encoded = Buffer.from(value, 'utf8')
    u32(encoded.length)
    bytes.push(...encoded, 0)
  }
  const signature = (value: string) => bytes.push(value.length, ...Buffer.from(value, 'latin1'), 0)
  u32(0)
  const lengthAt = bytes.length - 4
  pad(8)
  const start = bytes.length
  for (const [name, entry] of entries) {
    pad(8)
    string(name)
    signature(entry.type)
    if (entry.type === 's' || entry.type === 'o') string(entry.value)
    else if (entry.type === 'b' || entry.type === 'u') u32(entry.value)
    else if (entry.type === 't') {
      pad(8)
      for (let shift = 0n; shift < 64n; shift += 8n) bytes.push(Number((entry.value >> shift) & 0xffn))
    } else if (entry.type === 'ao') {
      u32(0)
      const arrayLengthAt = bytes.length - 4
      const arrayStart = bytes.length
      for (const path of entry.value) string(path)
      const size = bytes.length - arrayStart
      bytes.splice(arrayLengthAt, 4, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24)
    }
  }
  const size = bytes.length - start
  bytes.splice(lengthAt, 4, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24)
  return { signature: 'a{sv}', littleEndian: true, body: Buffer.from(bytes), bodyOffset }
}

const items: [string, Value] = ['Items', { type: 'ao', value: ['/org/freedesktop/secrets/collection/login/1', '/org/freedesktop/secrets/collection/login/22'] }]
const label: [string, Value] = ['Label', { type: 's', value: 'Login' }]
const created: [string, Value] = ['Created', { type: 't', value: 1_764_633_600n }]

describe('the Locked entry of a GetAll answer', () => {
  it('is read after entries of other types, as gnome-keyring orders them', () => {
    expect(readLockedProperty(propertiesBody([items, label, ['Locked', { type: 'b', value: 1 }], created]))).toBe(true)
    expect(readLockedProperty(propertiesBody([items, label, ['Locked', { type: 'b', value: 0 }], created]))).toBe(false)
    expect(readLockedProperty(propertiesBody([created, ['Locked', { type: 'b', value: 1 }]]))).toBe(true)
  })

  it('reads the same wherever the body starts (its alignment counts from the message start)', () => {
    for (const offset of [16, 24, 40, 136]) {
      expect(readLockedProperty(propertiesBody([items, created, ['Locked', { type: 'b', value: 1 }]], offset))).toBe(true)
    }
  })

  it('left out, as GetAll does when the service could not read it: nothing known (null), not an error', () => {
    expect(readLockedProperty(propertiesBody([items, label, created]))).toBeNull()
    expect(readLockedProperty(propertiesBody([]))).toBeNull()
  })

  it('an answer that is not what the specification says is unreadable, never a guess', () => {
    expect(readLockedProperty({ ...propertiesBody([['Locked', { type: 'b', value: 1 }]]), signature: 'v' })).toBe('unreadable')
    expect(readLockedProperty(propertiesBody([['Locked', { type: 'u', value: 1 }]]))).toBe('unreadable')
    const whole = propertiesBody([items, ['Locked', { type: 'b', value: 0 }]])
    expect(readLockedProperty({ ...whole, body: whole.body.subarray(0, whole.body.length - 6) })).toBe('unreadable')
  })
})
