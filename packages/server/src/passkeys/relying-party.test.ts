import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load-config.js'
import { expectedOrigins, relyingPartyId } from './relying-party.js'

// Issue #17 item 5: the RP ID and the origins passkeys are checked against (docs/verification.md).
describe('relying party', () => {
  const rp = (url: string, passkeyRpId?: string) => relyingPartyId({ url, passkeyRpId })

  it("derives the RP ID from LATCHKEY_URL as Clerk does (the instance's root domain)", () => {
    expect(rp('https://auth.example.com')).toBe('example.com')
    expect(rp('https://example.com')).toBe('example.com')
    expect(rp('http://localhost:4000')).toBe('localhost')
    expect(rp('https://id.eu.example.com')).toBe('eu.example.com')
    expect(rp('http://127.0.0.1:4000')).toBe('127.0.0.1')
    expect(rp('https://auth.example.com', 'login.example.com')).toBe('login.example.com')
  })

  it('expects the own origin and the allowed origins under the RP ID, no others', () => {
    expect(
      expectedOrigins(
        'https://auth.example.com',
        [
          'https://example.com',
          'https://app.example.com',
          'https://example.org',
          'https://notexample.com',
          'https://auth.example.com',
        ],
        'example.com',
      ),
    ).toEqual(['https://auth.example.com', 'https://example.com', 'https://app.example.com'])
  })

  it('LATCHKEY_PASSKEY_RP_ID must be a domain name', () => {
    expect(loadConfig({ LATCHKEY_PASSKEY_RP_ID: 'Example.COM' }).passkeyRpId).toBe('example.com')
    for (const bad of ['https://example.com', 'example.com:443', 'example.com/x', '*.example.com'])
      expect(() => loadConfig({ LATCHKEY_PASSKEY_RP_ID: bad })).toThrow(/LATCHKEY_PASSKEY_RP_ID/)
  })
})
