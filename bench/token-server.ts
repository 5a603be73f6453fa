/**
 * The bench's token endpoint: the real OAuth server of the integration tests
 * (@node-oauth/oauth2-server on 127.0.0.1, random port) in a process of its own, so that serving
 * thousands of token requests does not share an event loop with the core being measured. Talks to
 * its parent over the IPC channel: sends `{ tokenUrl }` once listening, answers `counts` with
 * the server's counters, and stops when the parent disconnects.
 */
import { startOAuthServer } from '../tests/support/oauth-server'

const lifetimeSeconds = Number(process.argv[2] ?? '3600')
const server = await startOAuthServer({ tokenLifetime: lifetimeSeconds })

process.on('message', (message) => {
  if (message === 'counts') process.send?.({ counts: { ...server.counts } })
})
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0))
})
process.send?.({ tokenUrl: server.tokenUrl })
