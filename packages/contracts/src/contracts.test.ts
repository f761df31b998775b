import { isPublishableKey, parsePublishableKey } from '@clerk/shared/keys'
import { describe, expect, it } from 'vitest'
import { ApiError } from './errors.js'
import { isId, newId, randomBase62 } from './ids.js'
import { decodePublishableKey, encodePublishableKey } from './publishable-key.js'

describe('publishable keys', () => {
  it("encode Clerk's format: pk_live_ + base64(host$) without padding", () => {
    expect(encodePublishableKey('clerk.example.com')).toBe('pk_live_Y2xlcmsuZXhhbXBsZS5jb20k')
    expect(encodePublishableKey('a.b', 'test')).toMatch(/^pk_test_/)
  })
  it("give a dotless host its trailing dot (localhost.:4000$), which Clerk's key check needs (#15)", () => {
    expect(encodePublishableKey('localhost:4000')).toBe('pk_live_bG9jYWxob3N0Ljo0MDAwJA')
    expect(atob('bG9jYWxob3N0Ljo0MDAwJA==')).toBe('localhost.:4000$')
    expect(encodePublishableKey('localhost')).toBe(
      `pk_live_${btoa('localhost.$').replace(/=+$/, '')}`,
    )
    expect(encodePublishableKey('127.0.0.1:4000')).toBe(`pk_live_${btoa('127.0.0.1:4000$')}`)
    expect(encodePublishableKey('[::1]:4000')).toBe(
      `pk_live_${btoa('[::1]:4000$').replace(/=+$/, '')}`,
    )
  })
  it("are accepted by Clerk's own parser, which reads the same host", () => {
    for (const host of ['localhost:4000', 'localhost', 'auth.example.com', '127.0.0.1:4000']) {
      for (const kind of ['live', 'test'] as const) {
        const key = encodePublishableKey(host, kind)
        expect(isPublishableKey(key)).toBe(true)
        const parsed = parsePublishableKey(key)
        expect(parsed?.instanceType).toBe(kind === 'live' ? 'production' : 'development')
        // Clerk keeps the root label; ours drops it: both name the same host.
        expect(parsed?.frontendApi.replace(/^([^.:]+)\.(:|$)/, '$1$2')).toBe(host)
      }
    }
  })
  it('round-trip, and reject malformed keys', () => {
    for (const host of [
      'auth.example.com',
      'localhost:4000',
      'localhost',
      'x.y.z:8443',
      '[::1]:4000',
    ]) {
      expect(decodePublishableKey(encodePublishableKey(host))).toBe(host)
    }
    // Keys made before the trailing dot (localhost:4000$) still decode.
    expect(decodePublishableKey('pk_live_bG9jYWxob3N0OjQwMDAk')).toBe('localhost:4000')
    // A fully qualified name with more labels keeps its dot: it was written that way.
    expect(decodePublishableKey(`pk_live_${btoa('auth.example.com.$')}`)).toBe('auth.example.com.')
    expect(decodePublishableKey('pk_live_')).toBeUndefined()
    expect(decodePublishableKey('sk_live_Y2xlcmsuZXhhbXBsZS5jb20k')).toBeUndefined()
    expect(decodePublishableKey(`pk_live_${btoa('no-dollar')}`)).toBeUndefined()
    expect(decodePublishableKey('pk_live_!!!')).toBeUndefined()
  })
})

describe('ids', () => {
  it('are prefixed, base62 and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('user')))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^user_[0-9A-Za-z]{27}$/)
    expect(newId('session')).toMatch(/^sess_/)
    expect(randomBase62(5)).toHaveLength(5)
  })
  it('draw every base62 character equally often, across many refills of the random pool', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 4000; i++)
      for (const c of randomBase62(31)) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(62)
    // 124,000 characters: 2,000 expected each; 5 standard deviations is about ±220.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(250)
  })
  it('are recognised by kind', () => {
    expect(isId('user', newId('user'))).toBe(true)
    expect(isId('user', newId('session'))).toBe(false)
    expect(isId('user', "user_'; drop table users")).toBe(false)
    expect(isId('user', 'user_')).toBe(false)
  })
})

describe('ApiError', () => {
  it('takes its status from the registry and serializes in Clerk’s shape', () => {
    const e = ApiError.of('form_param_missing', { meta: { param_name: 'identifier' } })
    expect(e.status).toBe(422)
    expect(e.code).toBe('form_param_missing')
    expect(e.toJSON()).toEqual({
      errors: [
        {
          code: 'form_param_missing',
          message: 'is missing',
          long_message: 'identifier is missing',
          meta: { param_name: 'identifier' },
        },
      ],
    })
    expect(ApiError.of('too_many_requests').status).toBe(429)
    expect(ApiError.of('internal_error').status).toBe(500)
  })
})
