/**
 * Setup for the fast projects (`npm run test:unit`): they must pass on a machine with no keyring
 * and no network, so they get neither, even when run inside with-keyring.sh by `npm test`. The
 * session bus points at a socket that does not exist (libsecret fails at once instead of finding
 * the test keyring or auto-launching a bus), and the loopback-only guard refuses every connection,
 * DNS query and datagram that would leave 127.0.0.1.
 */
import './loopback-only-guard.mjs'

process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/datasource-desk-unit-tests/bus'
