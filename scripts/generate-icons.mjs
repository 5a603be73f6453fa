/**
 * Draws the app and tray icons into resources/ as PNGs, with nothing but node:zlib, so the icons
 * are reproducible from source: `node scripts/generate-icons.mjs`. The generated files are
 * committed; run this again only after changing the drawing below.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const resources = join(root, 'resources')

/** Tray colours per severity, chosen to read on both light and dark panels. */
const severityColours = {
  ok: [46, 158, 91],
  attention: [224, 161, 0],
  error: [214, 69, 69],
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** Encodes an RGBA pixel function as an 8-bit RGBA PNG. */
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1)
    raw[row] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5)
      raw.set([r, g, b, Math.round(a * 255)], row + 1 + x * 4)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8 bits, RGBA, deflate, no filter method, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

/** Coverage of a shape edge one pixel wide, from a signed distance (negative inside). */
const coverage = (distance) => Math.min(1, Math.max(0, 0.5 - distance))

function over(top, bottom) {
  const alpha = top[3] + bottom[3] * (1 - top[3])
  if (alpha === 0) return [0, 0, 0, 0]
  const mix = (i) => Math.round((top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / alpha)
  return [mix(0), mix(1), mix(2), alpha]
}

/** A filled disc with a darker rim: the tray icon for one severity. */
function trayIcon(size, colour) {
  const centre = size / 2
  const radius = size / 2 - size / 16
  const rim = colour.map((channel) => Math.round(channel * 0.6))
  return png(size, (x, y) => {
    const distance = Math.hypot(x - centre, y - centre) - radius
    const fill = [...colour, coverage(distance + size / 16)]
    return over(fill, [...rim, coverage(distance)])
  })
}

/** A rounded square with a key ring and a green status dot: the application icon. */
function appIcon(size) {
  const half = size / 2
  const corner = size * 0.22
  const inset = size * 0.06
  return png(size, (x, y) => {
    const qx = Math.abs(x - half) - (half - inset - corner)
    const qy = Math.abs(y - half) - (half - inset - corner)
    const square = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - corner
    let colour = [43, 87, 151, coverage(square)]
    const ringCentre = [size * 0.42, size * 0.45]
    const ring = Math.abs(Math.hypot(x - ringCentre[0], y - ringCentre[1]) - size * 0.17) - size * 0.05
    colour = over([255, 255, 255, coverage(ring)], colour)
    const shaft = Math.max(Math.abs(y - size * 0.45) - size * 0.05, Math.abs(x - size * 0.7) - size * 0.11)
    colour = over([255, 255, 255, coverage(shaft)], colour)
    const dot = Math.hypot(x - size * 0.72, y - size * 0.72) - size * 0.1
    return over([...severityColours.ok, coverage(dot)], colour)
  })
}

mkdirSync(join(resources, 'tray'), { recursive: true })
for (const [severity, colour] of Object.entries(severityColours)) {
  writeFileSync(join(resources, 'tray', `${severity}.png`), trayIcon(16, colour))
  writeFileSync(join(resources, 'tray', `${severity}@2x.png`), trayIcon(32, colour))
}
writeFileSync(join(resources, 'icon.png'), appIcon(512))
console.log(`icons written to ${resources}`)
