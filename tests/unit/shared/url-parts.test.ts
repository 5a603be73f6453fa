import { describe, expect, it } from 'vitest'
import { urlHost, urlOrigin } from '../../../shared/url-parts'

describe('url parts', () => {
  it('gives the origin and the host with its port', () => {
    expect(urlOrigin('https://Auth.Example.com:8443/realms/acme/token')).toBe('https://auth.example.com:8443')
    expect(urlHost('https://auth.example.com:8443/token')).toBe('auth.example.com:8443')
    // The default port is not part of the host, as the WHATWG URL parser says.
    expect(urlHost('https://auth.example.com:443/token')).toBe('auth.example.com')
  })

  it('does not throw on a value that is not a URL', () => {
    expect(urlOrigin('not a url')).toBeNull()
    expect(urlOrigin('')).toBeNull()
    expect(urlHost('not a url')).toBe('an invalid URL')
    expect(urlHost('', '')).toBe('')
  })
})
