/**
 * Loopback hosts, apart from the zod schemas of datasource.ts: the token client needs this check,
 * and `datasource-desk token` with a due token should not load zod (about a third of its time).
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * True for hosts that never leave this machine, where plain http:// is acceptable: loopback
 * addresses as the URL parser reads them, and `localhost`, which the OS answers from its hosts
 * file. Names under `.localhost` are not (issue 11, item 11): RFC 6761 6.3 says they resolve only
 * to loopback, and Chromium does so itself, but Node's fetch (the CLI, the tests) asks the system
 * resolver, which on Linux without systemd-resolved passes them on to DNS, where any server may
 * answer with any host. The rule must not depend on what a DNS server says.
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/** A name under `.localhost` (RFC 6761), refused for http:// with its own explanation. */
export function isLocalhostSubdomain(hostname: string): boolean {
  return hostname.endsWith('.localhost') && hostname.length > '.localhost'.length
}
