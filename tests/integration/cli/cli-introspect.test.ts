/**
 * `datasource-desk introspect <name>`: the server's word on the stored token (RFC 7662), in
 * terminal words and as --json, never the token. The built command, the real keyring, and
 * @jmondi/oauth2-server's introspect() behind RFC 8414 metadata (tests/support/interop).
 */
import { describe, expect, it } from 'vitest'
import { useCliSuite } from '../../support/cli-suite'
import { PLAIN_CLIENT, PLAIN_USER } from '../../support/interop/interop-server'
import { startJmondiServer } from '../../support/interop/jmondi-server'

const suite = useCliSuite('cli-introspect', startJmondiServer)
const { cli } = suite
const addArgs = (name: string, more: ReadonlyArray<string>) => ['add', name, '--client-id', PLAIN_CLIENT.id, '--username', PLAIN_USER.username, '--scope', 'read', '--client-secret-stdin', '--password-stdin', ...more]

describe('introspect', () => {
  it('says active and what the server knows, then "Not active" with the command to run once the server revoked the token', async () => {
    const added = await cli(addArgs('ledger', ['--issuer', suite.server.introspection!.issuer]), `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`)
    expect(added.code, added.stderr).toBe(0)
    const active = await cli(['introspect', 'ledger'])
    expect(active.code, active.stderr).toBe(0)
    const host = new URL(suite.server.tokenUrl).host
    expect(active.stdout).toMatch(new RegExp(`^Active at ${host.replace(/\./g, '\\.')}: the server accepts the token of "ledger"\\.\\n`))
    expect(active.stdout).toMatch(/\n {2}scope: +read\n/)
    expect(active.stdout).toMatch(/\n {2}client_id: +desk-client\n/)
    expect(active.stdout).toMatch(/\n {2}exp: +.*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)\n/)

    const token = (await cli(['token', 'ledger'])).stdout.trim()
    expect(active.stdout).not.toContain(token)
    const revoked = await fetch(suite.server.revocation!.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token', client_id: PLAIN_CLIENT.id, client_secret: PLAIN_CLIENT.secret }),
    })
    expect(revoked.status).toBe(200)
    const inactive = await cli(['introspect', 'ledger'])
    expect(inactive.code).toBe(0)
    expect(inactive.stdout).toBe(`Not active at ${host}: the server rejects the token of "ledger" (revoked or expired there). Run "datasource-desk renew ledger" for a new one.\n`)
    const json = await cli(['introspect', 'ledger', '--json'])
    expect(JSON.parse(json.stdout)).toEqual({ host, checkedAt: expect.any(Number), active: false })
  })

  it('a datasource whose server names no introspection endpoint: says how it would be offered, in CLI words', async () => {
    const added = await cli(addArgs('plain', ['--token-url', suite.server.tokenUrl]), `${PLAIN_CLIENT.secret}\n${PLAIN_USER.password}\n`)
    expect(added.code, added.stderr).toBe(0)
    const result = await cli(['introspect', 'plain'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('This server advertises no token introspection (RFC 7662) for this token URL.')
    expect(result.stderr).toContain('hint: Introspection is offered when the datasource has an issuer (--issuer)')
    expect((await cli(['introspect', 'nope'])).code).toBe(7)
  })
})
