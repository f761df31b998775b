import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../config/load-config.js'
import { SecretBox } from './crypto.js'
import { deepMerge } from './json.js'
import { assertPasswordAllowed } from './password-policy.js'
import { isValidDigest, needsRehash } from './passwords.js'

describe('deepMerge (Clerk metadata merge)', () => {
  it('merges nested objects, replaces scalars and arrays, deletes on null', () => {
    expect(
      deepMerge(
        { a: 1, b: { c: 2, d: 3 }, e: [1, 2] },
        { a: 5, b: { c: null, x: 1 }, e: [3], f: { g: 1 } },
      ),
    ).toEqual({
      a: 5,
      b: { d: 3, x: 1 },
      e: [3],
      f: { g: 1 },
    })
    const base = { a: { b: 1 } }
    deepMerge(base, { a: { b: 2 } })
    expect(base).toEqual({ a: { b: 1 } })
  })
})

describe('password policy (NIST 800-63B)', () => {
  const code = (p: string) => {
    try {
      assertPasswordAllowed(p)
      return 'ok'
    } catch (e) {
      return (e as { code: string }).code
    }
  }
  it('needs 8 to 256 characters, counted as code points, and no composition rules', () => {
    expect(code('1234567')).toBe('form_password_length_too_short')
    expect(code('🔑🔑🔑🔑🔑🔑🔑')).toBe('form_password_length_too_short')
    expect(code('🔑🔑🔑🔑🔑🔑🔑🔑')).toBe('ok')
    expect(code('all lowercase words')).toBe('ok')
    expect(code('x'.repeat(256))).toBe('ok')
    expect(code('x'.repeat(257))).toBe('form_password_length_too_long')
  })
  it('refuses common and breached passwords from the shipped list, case-insensitively', () => {
    for (const p of ['password', 'Password1', 'QWERTYUIOP', '12345678', 'iloveyou'])
      expect(code(p)).toBe('form_password_pwned')
  })
})

describe('password digests', () => {
  it('recognise well-formed digests per hasher', () => {
    expect(
      isValidDigest('bcrypt', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'),
    ).toBe(true)
    expect(isValidDigest('bcrypt', 'plain')).toBe(false)
    expect(isValidDigest('pbkdf2_sha256', 'pbkdf2_sha256$100$salt$aGFzaA==')).toBe(true)
    expect(isValidDigest('pbkdf2_sha256', 'pbkdf2_sha256$0$salt$aGFzaA==')).toBe(false)
    expect(isValidDigest('scrypt_firebase', 'aGFzaA==$c2FsdA==$a2V5$Bw==$8$14')).toBe(true)
    expect(isValidDigest('scrypt_firebase', 'aGFzaA==$c2FsdA==$a2V5$Bw==$8$99')).toBe(false)
  })
  it('re-hash anything but current-parameter argon2id', () => {
    expect(needsRehash('bcrypt', '$2b$...')).toBe(true)
    expect(needsRehash('argon2id', '$argon2id$v=19$m=4096,t=3,p=1$abc$def')).toBe(true)
    expect(needsRehash('argon2id', '$argon2id$v=19$m=19456,t=2,p=1$abc$def')).toBe(false)
  })
})

describe('SecretBox', () => {
  it('seals with AES-256-GCM bound to its row, and refuses tampering or another row', () => {
    const box = new SecretBox(new Uint8Array(32).fill(7))
    const sealed = box.seal('private key', 'signing_key:a')
    expect(sealed).not.toContain('private key')
    expect(box.open(sealed, 'signing_key:a')).toBe('private key')
    expect(() => box.open(sealed, 'signing_key:b')).toThrow()
    const parts = sealed.split('.')
    // Change the ciphertext's first character to another one (it may already be 'A').
    const first = parts[3]?.[0]
    parts[3] = `${first === 'A' ? 'B' : 'A'}${parts[3]?.slice(1)}`
    expect(() => box.open(parts.join('.'), 'signing_key:a')).toThrow()
    expect(() => new SecretBox(new Uint8Array(16)).open(sealed, 'x')).toThrow()
  })
})

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 4000,
      url: 'http://localhost:4000',
      databaseUrl: 'sqlite:.latchkey/latchkey.db',
      rateLimit: true,
      sessionLifetimeSeconds: 604800,
      sessionInactivitySeconds: 604800,
    })
    expect(Object.isFrozen(c)).toBe(true)
    expect(loadConfig({ PORT: '5000' }).url).toBe('http://localhost:5000')
    expect(loadConfig({ LATCHKEY_URL: 'https://auth.example.com/' }).url).toBe(
      'https://auth.example.com',
    )
    expect(
      loadConfig({ LATCHKEY_ALLOWED_ORIGINS: 'https://a.example.com/, http://localhost:5173' })
        .allowedOrigins,
    ).toEqual(['https://a.example.com', 'http://localhost:5173'])
  })
  it('listens on loopback unless HOST says otherwise (#14)', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1')
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0')
  })
  it('refuses a LATCHKEY_URL with a path, query or credentials, saying why (#14)', () => {
    for (const [url, why] of [
      ['https://example.com/auth', /without a path \(got path "\/auth"\).*own host/],
      ['https://example.com/auth/', /without a path/],
      ['https://example.com/?x=1', /query/],
      ['https://user:pw@example.com', /credentials/],
    ] as const) {
      expect(() => loadConfig({ LATCHKEY_URL: url })).toThrow(ConfigError)
      try {
        loadConfig({ LATCHKEY_URL: url })
      } catch (e) {
        expect((e as Error).message).toMatch(/LATCHKEY_URL: /)
        expect((e as Error).message).toMatch(why)
      }
    }
    expect(loadConfig({ LATCHKEY_URL: 'https://auth.example.com:8443/' }).url).toBe(
      'https://auth.example.com:8443',
    )
  })
  it('names every bad variable at once', () => {
    try {
      loadConfig({
        PORT: '-1',
        LATCHKEY_DATABASE_URL: 'mysql://x',
        LATCHKEY_SECRET_KEY: 'secret',
        LATCHKEY_ENCRYPTION_KEY: 'short',
      })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      const msg = (e as Error).message
      for (const v of [
        'PORT',
        'LATCHKEY_DATABASE_URL',
        'LATCHKEY_SECRET_KEY',
        'LATCHKEY_ENCRYPTION_KEY',
      ])
        expect(msg).toContain(v)
    }
  })
})
