/**
 * A preload for child processes of tests (`node --import <this file>`): tests may reach only
 * 127.0.0.1 (ENVIRONMENT.md, network rules), so every TCP connection, DNS query and UDP datagram
 * towards anything else is refused before it leaves the process, and recorded, one JSON line per
 * attempt, in the file named by LOOPBACK_GUARD_LOG, so the parent test can assert that nothing
 * even tried.
 */
import dgram from 'node:dgram'
import dns from 'node:dns'
import { appendFileSync } from 'node:fs'
import net from 'node:net'

const logFile = process.env.LOOPBACK_GUARD_LOG
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

const isLoopback = (host) => typeof host === 'string' && (LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))

function record(kind, target) {
  const line = JSON.stringify({ kind, target: String(target) })
  if (logFile) appendFileSync(logFile, `${line}\n`)
  return new Error(`loopback-only guard: ${kind} to ${String(target)} refused in tests`)
}

/** Where a Socket#connect call goes: (options), (port, host), or (path) for a local IPC socket. */
function connectTarget(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (first && typeof first === 'object') return first.path ? null : (first.host ?? 'localhost')
  if (typeof first === 'string' && Number.isNaN(Number(first))) return null
  return typeof args[1] === 'string' ? args[1] : 'localhost'
}

const originalConnect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect(...args) {
  const host = connectTarget(args)
  if (host === null || isLoopback(host)) return originalConnect.apply(this, args)
  const error = record('tcp', host)
  process.nextTick(() => this.destroy(error))
  return this
}

const originalLookup = dns.lookup
dns.lookup = function guardedLookup(hostname, ...rest) {
  if (isLoopback(hostname)) return originalLookup.call(this, hostname, ...rest)
  const error = record('dns', hostname)
  const callback = rest.at(-1)
  if (typeof callback === 'function') process.nextTick(() => callback(Object.assign(error, { code: 'ENOTFOUND' })))
  return {}
}
const originalPromisesLookup = dns.promises.lookup
dns.promises.lookup = async function guardedPromisesLookup(hostname, ...rest) {
  if (isLoopback(hostname)) return originalPromisesLookup.call(this, hostname, ...rest)
  throw Object.assign(record('dns', hostname), { code: 'ENOTFOUND' })
}

const originalSend = dgram.Socket.prototype.send
dgram.Socket.prototype.send = function guardedSend(...args) {
  const address = args.find((arg, index) => index > 0 && typeof arg === 'string')
  if (address === undefined || isLoopback(address)) return originalSend.apply(this, args)
  const error = record('udp', address)
  const callback = args.at(-1)
  if (typeof callback === 'function') process.nextTick(() => callback(error))
}
