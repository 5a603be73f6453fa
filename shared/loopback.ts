/**
 * Loopback hosts, apart from the zod schemas of datasource.ts: the token client needs this check,
 * and `datasource-desk token` with a due token should not load zod (about a third of its time).
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** True for hosts that never leave this machine, where plain http:// is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname.endsWith('.localhost')
}
