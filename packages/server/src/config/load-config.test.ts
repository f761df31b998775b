import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './load-config.js'

const issuesOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues]
    throw e
  }
  return []
}

describe('LATCHKEY_TRUST_PROXY', () => {
  it('is off by default, or a list of proxy addresses, CIDR ranges and named ranges', () => {
    expect(loadConfig({}).trustProxy).toEqual([])
    expect(loadConfig({ LATCHKEY_TRUST_PROXY: 'off' }).trustProxy).toEqual([])
    expect(
      loadConfig({ LATCHKEY_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1,fd00::/8,uniquelocal' })
        .trustProxy,
    ).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'uniquelocal'])
  })

  it('refuses "on", hop counts and "every address" at boot, saying what to set instead', () => {
    for (const value of ['on', 'true']) {
      const [issue] = issuesOf({ LATCHKEY_TRUST_PROXY: value })
      expect(issue).toMatch(/^LATCHKEY_TRUST_PROXY: .*left-most X-Forwarded-For entry/)
      expect(issue).toContain('list the address(es) your reverse proxy connects from')
    }
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '1' })[0]).toMatch(/hop count cannot tell/)
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '0.0.0.0/0' })[0]).toMatch(/trusts every address/)
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '::/0' })[0]).toMatch(/trusts every address/)
  })

  it('names an entry that is not an address or range', () => {
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '10.0.0.1,proxy.internal' })[0]).toContain(
      '"proxy.internal" is not an IP address, a CIDR range',
    )
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '10.0.0.0/33' })[0]).toContain('invalid prefix')
    expect(issuesOf({ LATCHKEY_TRUST_PROXY: '10.0.0.1,' })[0]).toContain('""')
  })
})

describe('lockout defaults', () => {
  it('locks an account after 100 consecutive failures (Clerk’s default) for an hour', () => {
    expect(loadConfig({})).toMatchObject({ lockoutAttempts: 100, lockoutSeconds: 3600 })
  })
})

describe('HOST', () => {
  // #14 §7: a development server is not reachable from the network unless HOST says so.
  it('listens on 127.0.0.1 by default; HOST=0.0.0.0 (the container image) opens it up', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1')
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0')
  })
})
