/**
 * Whether the Secret Service's default collection (where keytar writes) is locked, read from its
 * `Locked` property over the D-Bus session bus without writing anything. keytar has no call for it,
 * and the write-and-delete probe it replaces on Linux raced other processes: a listing that met a
 * probe item another process had just deleted crashed libsecret (SIGSEGV in findCredentials), and
 * two processes writing and deleting one probe item failed each other's calls.
 *
 * One method call on a connection of its own, from the event loop with a deadline: SASL EXTERNAL,
 * Hello, then org.freedesktop.DBus.Properties.GetAll. Only what those three need of the D-Bus wire
 * format is here (https://dbus.freedesktop.org/doc/dbus-specification.html, "Message Protocol").
 *
 * GetAll, never Get: when gnome-keyring's property getter fails (it does when it has no record of
 * the caller, a race seen with short-lived processes), GLib's Get handler asserts that an error was
 * set and aborts the whole daemon (gdbusconnection.c, invoke_get_property_in_idle_cb), taking every
 * application's secrets with it; GetAll leaves the failed property out of its answer instead. With
 * Get, gnome-keyring 42.1 died here once in a few thousand reads from short-lived processes.
 */
import { connect, type Socket } from 'node:net'
import { KeychainError } from './secret-store'
import { sessionBusSocket } from './session-bus-probe'

const SECRET_SERVICE = 'org.freedesktop.secrets'
const DEFAULT_COLLECTION = '/org/freedesktop/secrets/aliases/default'

/**
 * Resolves true (locked) or false, or null when the bus cannot tell: no address, or no default
 * collection (a keyring that has none creates it on the first write). Rejects with a KeychainError
 * like the other keychain calls: "unavailable" when the bus or the service is not there, "timeout"
 * when either does not answer within `timeoutMs`.
 */
export function defaultCollectionLocked(address: string | undefined, timeoutMs: number): Promise<boolean | null> {
  const target = sessionBusSocket(address)
  if (!target) return Promise.resolve(null)
  return new Promise<boolean | null>((resolve, reject) => {
    const socket: Socket = 'path' in target ? connect(target.path) : connect(target.port, target.host)
    let settled = false
    const finish = (outcome: { locked: boolean | null } | KeychainError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      hangUp()
      if (outcome instanceof KeychainError) reject(outcome)
      else resolve(outcome.locked)
    }
    const timer = setTimeout(
      () => finish(new KeychainError(`The OS keychain did not answer within ${timeoutMs} ms (lock state)`, 'timeout')),
      timeoutMs,
    )
    // A graceful end, not destroy(), so the bus sees an orderly goodbye. (It was first thought to
    // be what crashed gnome-keyring; the crash was Get, see the top of this file.) A bus that never
    // closes its end does not keep the process alive: the socket is unref'd, destroyed a moment later.
    const hangUp = (): void => {
      socket.end()
      socket.unref()
      setTimeout(() => socket.destroy(), HANG_UP_GRACE_MS).unref()
    }
    let received = Buffer.alloc(0)
    let authenticated = false
    socket.once('connect', () => {
      const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0'
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'ascii').toString('hex')}\r\n`)
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (!authenticated) {
        const end = received.indexOf('\r\n')
        if (end < 0) return
        const line = received.subarray(0, end).toString('latin1')
        received = received.subarray(end + 2)
        if (!line.startsWith('OK ')) return finish(new KeychainError(`The OS keychain is not available (D-Bus session bus refused us: ${line.slice(0, 60)})`, 'unavailable'))
        authenticated = true
        socket.write(Buffer.concat([Buffer.from('BEGIN\r\n', 'latin1'), helloCall(), collectionPropertiesCall()]))
      }
      for (let message = takeMessage(received); message; message = takeMessage(received)) {
        received = received.subarray(message.length)
        if (message.replySerial !== PROPERTIES_SERIAL) continue
        if (message.type === METHOD_RETURN) {
          const locked = readLockedProperty(message)
          // Left out of the answer: the service could not say (see above), so nothing is known.
          return finish(locked === 'unreadable' ? new KeychainError('The OS keychain lock state could not be read', 'failed') : { locked })
        }
        if (message.type === ERROR) {
          // No default collection, or a service that has no such property: nothing to tell.
          if (message.errorName === 'org.freedesktop.DBus.Error.UnknownObject' || message.errorName === 'org.freedesktop.Secret.Error.NoSuchObject') {
            return finish({ locked: null })
          }
          if (message.errorName === 'org.freedesktop.DBus.Error.ServiceUnknown' || message.errorName === 'org.freedesktop.DBus.Error.NameHasNoOwner') {
            return finish(new KeychainError(`The OS keychain is not available (${message.errorName})`, 'unavailable'))
          }
          if (message.errorName === 'org.freedesktop.DBus.Error.NoReply' || message.errorName === 'org.freedesktop.DBus.Error.Timeout') {
            return finish(new KeychainError(`The OS keychain did not answer (${message.errorName})`, 'timeout'))
          }
          return finish({ locked: null })
        }
      }
    })
    socket.once('error', (error: Error) => finish(new KeychainError(`The OS keychain is not available (D-Bus session bus: ${error.message})`, 'unavailable')))
    socket.once('close', () => finish(new KeychainError('The OS keychain is not available (the D-Bus session bus closed the connection)', 'unavailable')))
  })
}

const HANG_UP_GRACE_MS = 1_000
const METHOD_CALL = 1
const METHOD_RETURN = 2
const ERROR = 3
const HELLO_SERIAL = 1
const PROPERTIES_SERIAL = 2

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, signature: 8 } as const

function helloCall(): Buffer {
  return methodCall(HELLO_SERIAL, { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus' })
}

function collectionPropertiesCall(): Buffer {
  return methodCall(
    PROPERTIES_SERIAL,
    { path: DEFAULT_COLLECTION, interface: 'org.freedesktop.DBus.Properties', member: 'GetAll', destination: SECRET_SERVICE },
    ['org.freedesktop.Secret.Collection'],
  )
}

/** A little-endian method call whose body is zero or more strings. */
function methodCall(
  serial: number,
  header: { readonly path: string; readonly interface: string; readonly member: string; readonly destination: string },
  body: ReadonlyArray<string> = [],
): Buffer {
  const bodyWriter = new Writer()
  for (const value of body) bodyWriter.string(value)
  const bodyBytes = bodyWriter.bytes()
  const fields = new Writer()
  // Offsets in the header array are from the message's start; the array begins at byte 16.
  fields.offset = 16
  const field = (code: number, signature: string, value: string): void => {
    fields.align(8)
    fields.byte(code)
    fields.signature(signature)
    if (signature === 'g') fields.signature(value)
    else fields.string(value)
  }
  field(FIELD.path, 'o', header.path)
  field(FIELD.interface, 's', header.interface)
  field(FIELD.member, 's', header.member)
  field(FIELD.destination, 's', header.destination)
  if (body.length > 0) field(FIELD.signature, 'g', 's'.repeat(body.length))
  const fieldBytes = fields.bytes()
  const fixed = Buffer.alloc(16)
  fixed.write('l', 0, 'latin1')
  fixed.writeUInt8(METHOD_CALL, 1)
  fixed.writeUInt8(0, 2)
  fixed.writeUInt8(1, 3)
  fixed.writeUInt32LE(bodyBytes.length, 4)
  fixed.writeUInt32LE(serial, 8)
  fixed.writeUInt32LE(fieldBytes.length, 12)
  const headerLength = 16 + fieldBytes.length
  const padding = Buffer.alloc((8 - (headerLength % 8)) % 8)
  return Buffer.concat([fixed, fieldBytes, padding, bodyBytes])
}

class Writer {
  offset = 0
  readonly #chunks: Buffer[] = []
  #length = 0

  align(boundary: number): void {
    const pad = (boundary - ((this.offset + this.#length) % boundary)) % boundary
    if (pad > 0) this.#push(Buffer.alloc(pad))
  }
  byte(value: number): void {
    this.#push(Buffer.from([value]))
  }
  signature(value: string): void {
    this.#push(Buffer.concat([Buffer.from([Buffer.byteLength(value)]), Buffer.from(value, 'latin1'), Buffer.from([0])]))
  }
  string(value: string): void {
    this.align(4)
    const length = Buffer.alloc(4)
    length.writeUInt32LE(Buffer.byteLength(value))
    this.#push(Buffer.concat([length, Buffer.from(value, 'utf8'), Buffer.from([0])]))
  }
  bytes(): Buffer {
    return Buffer.concat(this.#chunks)
  }
  #push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#length += chunk.length
  }
}

export interface Message {
  readonly length: number
  readonly type: number
  readonly replySerial: number | null
  readonly errorName: string | null
  readonly signature: string
  readonly littleEndian: boolean
  readonly body: Buffer
  /** Where the body starts in the message (its alignment is relative to the message's start). */
  readonly bodyOffset: number
}

/** The first whole message in `data`, or null while it is incomplete. */
function takeMessage(data: Buffer): Message | null {
  if (data.length < 16) return null
  const littleEndian = data[0] === 0x6c
  const bodyLength = littleEndian ? data.readUInt32LE(4) : data.readUInt32BE(4)
  const fieldsLength = littleEndian ? data.readUInt32LE(12) : data.readUInt32BE(12)
  const bodyOffset = align(16 + fieldsLength, 8)
  const length = bodyOffset + bodyLength
  if (data.length < length) return null
  // A header the message cannot be read by: a field of a type the specification does not use, or
  // one that runs past the header.
  const unreadable: Message = { length, type: 0, replySerial: null, errorName: null, signature: '', littleEndian, body: Buffer.alloc(0), bodyOffset }
  let replySerial: number | null = null
  let errorName: string | null = null
  let signature = ''
  const end = 16 + fieldsLength
  const reader = new WireReader(data.subarray(0, end), 0, littleEndian, 16)
  try {
    while (reader.position < end) {
      reader.align(8)
      const code = reader.byte()
      const type = reader.signature()
      if (type === 'u') {
        const value = reader.u32()
        if (code === FIELD.replySerial) replySerial = value
      } else if (type === 'g') {
        const value = reader.signature()
        if (code === FIELD.signature) signature = value
      } else if (type === 's' || type === 'o') {
        const value = reader.string()
        if (code === FIELD.errorName) errorName = value
      } else {
        return unreadable
      }
    }
  } catch {
    return unreadable
  }
  return { length, type: data[1]!, replySerial, errorName, signature, littleEndian, body: data.subarray(bodyOffset, length), bodyOffset }
}

/**
 * The `Locked` entry of a GetAll answer (`a{sv}`): true or false, null when the answer leaves it
 * out, 'unreadable' when the answer is not what the specification says. The other entries (Items,
 * Label, Created, Modified) are stepped over whatever their types.
 */
export function readLockedProperty(message: Pick<Message, 'signature' | 'littleEndian' | 'body' | 'bodyOffset'>): boolean | null | 'unreadable' {
  if (message.signature !== 'a{sv}') return 'unreadable'
  const reader = new WireReader(message.body, message.bodyOffset, message.littleEndian)
  try {
    const end = reader.arrayEnd('{')
    while (reader.position < end) {
      reader.align(8)
      const name = reader.string()
      const type = reader.signature()
      if (name === 'Locked') return type === 'b' ? reader.u32() !== 0 : 'unreadable'
      reader.skip(type)
    }
    return null
  } catch {
    return 'unreadable'
  }
}

/**
 * Reads part of a message (its header fields or its body), `bytes` starting at offset `base` in
 * the message: alignment counts from the message's start, as the wire format does. Throws a
 * RangeError for anything that runs past `bytes`.
 */
class WireReader {
  #at: number

  constructor(
    private readonly bytes: Buffer,
    private readonly base: number,
    private readonly littleEndian: boolean,
    start = base,
  ) {
    this.#at = start
  }

  get position(): number {
    return this.#at
  }
  align(boundary: number): void {
    this.#at = align(this.#at, boundary)
  }
  byte(): number {
    return this.bytes[this.#take(1)]!
  }
  u32(): number {
    this.align(4)
    const at = this.#take(4)
    return this.littleEndian ? this.bytes.readUInt32LE(at) : this.bytes.readUInt32BE(at)
  }
  string(): string {
    const size = this.u32()
    const at = this.#take(size + 1)
    return this.bytes.toString('utf8', at, at + size)
  }
  signature(): string {
    const size = this.byte()
    const at = this.#take(size + 1)
    return this.bytes.toString('latin1', at, at + size)
  }
  /** An array's length word; returns where its elements end (the first element aligned). */
  arrayEnd(elementType: string): number {
    const size = this.u32()
    this.align(alignmentOf(elementType))
    if (this.#at + size > this.base + this.bytes.length) throw new RangeError('an array runs past the end')
    return this.#at + size
  }
  /** Steps over values of the given signature (one or more complete types). */
  skip(signature: string): void {
    for (let index = 0; index < signature.length; ) {
      const next = completeTypeEnd(signature, index)
      this.#skipOne(signature.slice(index, next))
      index = next
    }
  }
  #skipOne(type: string): void {
    const code = type[0]!
    if (code === 'a') {
      this.#at = this.arrayEnd(type[1]!)
    } else if (code === '(' || code === '{') {
      this.align(8)
      this.skip(type.slice(1, -1))
    } else if (code === 'v') {
      this.skip(this.signature())
    } else if (code === 's' || code === 'o') {
      this.string()
    } else if (code === 'g') {
      this.signature()
    } else {
      const size = FIXED_SIZES[code]
      if (size === undefined) throw new RangeError(`unknown D-Bus type ${code}`)
      this.align(size)
      this.#take(size)
    }
  }
  #take(size: number): number {
    const at = this.#at - this.base
    if (at + size > this.bytes.length) throw new RangeError('a value runs past the end')
    this.#at += size
    return at
  }
}

const FIXED_SIZES: Readonly<Record<string, number>> = { y: 1, n: 2, q: 2, b: 4, i: 4, u: 4, h: 4, x: 8, t: 8, d: 8 }

function alignmentOf(type: string): number {
  if (type === '(' || type === '{') return 8
  if (type === 's' || type === 'o' || type === 'a') return 4
  if (type === 'g' || type === 'v') return 1
  return FIXED_SIZES[type] ?? 1
}

/** Where the complete type starting at `index` ends in a signature. */
function completeTypeEnd(signature: string, index: number): number {
  const code = signature[index]
  if (code === undefined) throw new RangeError('signature ends inside a type')
  if (code === 'a') return completeTypeEnd(signature, index + 1)
  if (code === '(' || code === '{') {
    const close = code === '(' ? ')' : '}'
    let at = index + 1
    while (signature[at] !== close) at = completeTypeEnd(signature, at)
    return at + 1
  }
  return index + 1
}

function align(offset: number, boundary: number): number {
  return Math.ceil(offset / boundary) * boundary
}
