import { ApiError } from '@latchkey/contracts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  candidatesFor,
  hasSubaddress,
  normalizeIdentifier,
  withoutSubaddress,
} from '../src/sign-up-policy/identifiers.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** The code `assertMaySignUp` refuses with, or 'allowed'. */
async function verdict(server: TestServer, email: string): Promise<string> {
  try {
    await server.services.signUpPolicy.assertMaySignUp(email)
    return 'allowed'
  } catch (e) {
    if (e instanceof ApiError) return `${e.status} ${e.code}`
    throw e
  }
}

describe('identifiers', () => {
  it('normalizes addresses and *@domain wildcards, refusing anything else', () => {
    expect(normalizeIdentifier(' Ada@Example.COM ')).toBe('ada@example.com')
    expect(normalizeIdentifier('*@Corp.Example')).toBe('*@corp.example')
    for (const bad of ['+15555550100', '0x52908400098527886E0F7030069857D2E4169EE7', '*@', '@x.y'])
      expect(() => normalizeIdentifier(bad), bad).toThrow(ApiError)
  })

  it('finds subaddresses (+ = #) in the local part only', () => {
    expect(hasSubaddress('ada+news@example.com')).toBe(true)
    expect(hasSubaddress('ada=x@example.com')).toBe(true)
    expect(hasSubaddress('ada#x@example.com')).toBe(true)
    expect(hasSubaddress('ada@ex+ample.com')).toBe(false)
    expect(hasSubaddress('ada.lovelace@example.com')).toBe(false)
    expect(withoutSubaddress('ada+news+more@example.com')).toBe('ada@example.com')
    expect(candidatesFor('Ada+x@Example.com', { stripSubaddress: true }).sort()).toEqual(
      ['*@example.com', 'ada+x@example.com', 'ada@example.com'].sort(),
    )
  })
})

// Issue #16: who may sign up. The sign-up engine calls `services.signUpPolicy.assertMaySignUp`;
// here the policy is driven directly, its settings and lists changed through the Backend API.
describe.each(DIALECTS)('sign-up policy (%s)', (dialect) => {
  let server: TestServer
  const bapi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    expect(res.status, `${method} ${path}`).toBeLessThan(300)
  }
  const restrict = (body: Record<string, boolean>) =>
    bapi('PATCH', '/v1/instance/restrictions', body)
  const mode = (m: 'public' | 'restricted') =>
    bapi('PATCH', '/v1/instance/user_settings', { sign_up: { mode: m } })

  beforeAll(async () => {
    server = await createTestServer(dialect)
    await bapi('POST', '/v1/allowlist_identifiers', { identifier: 'ada@example.com' })
    await bapi('POST', '/v1/allowlist_identifiers', { identifier: '*@corp.example' })
    await bapi('POST', '/v1/blocklist_identifiers', { identifier: 'mallory@example.com' })
    await bapi('POST', '/v1/blocklist_identifiers', { identifier: '*@spam.example' })
    await bapi('POST', '/v1/blocklist_identifiers', { identifier: 'ada@example.com' })
  })
  afterAll(() => server.close())
  beforeEach(async () => {
    await restrict({ allowlist: false, blocklist: false, block_email_subaddresses: false })
    await mode('public')
  })

  it('lets anyone sign up by default, whatever the lists hold', async () => {
    for (const email of ['mallory@example.com', 'x@spam.example', 'eve+1@example.com'])
      expect(await verdict(server, email)).toBe('allowed')
  })

  it('blocklist: refuses listed addresses, their subaddressed forms and *@domain', async () => {
    await restrict({ blocklist: true })
    expect(await verdict(server, 'Mallory@Example.com')).toBe('403 not_allowed_access')
    expect(await verdict(server, 'mallory+alt@example.com')).toBe('403 not_allowed_access')
    expect(await verdict(server, 'anyone@spam.example')).toBe('403 not_allowed_access')
    expect(await verdict(server, 'anyone@sub.spam.example')).toBe('allowed')
    expect(await verdict(server, 'grace@example.com')).toBe('allowed')
  })

  it('allowlist: only listed addresses and domains; it takes precedence over the blocklist', async () => {
    await restrict({ allowlist: true, blocklist: true })
    expect(await verdict(server, 'ada@example.com')).toBe('allowed')
    expect(await verdict(server, 'bob@corp.example')).toBe('allowed')
    expect(await verdict(server, 'grace@example.com')).toBe('403 not_allowed_access')
    // An allow-listed address is not its subaddressed forms.
    expect(await verdict(server, 'ada+x@example.com')).toBe('403 not_allowed_access')
  })

  it('restricted mode: only allow-listed identifiers, even with the allowlist off', async () => {
    await mode('restricted')
    expect(await verdict(server, 'grace@example.com')).toBe('403 sign_up_mode_restricted')
    expect(await verdict(server, 'ada@example.com')).toBe('allowed')
    expect(await verdict(server, 'bob@corp.example')).toBe('allowed')
  })

  it('block_email_subaddresses: refuses + = # in the local part, even allow-listed', async () => {
    await restrict({ block_email_subaddresses: true })
    for (const email of ['eve+1@example.com', 'eve=1@example.com', 'eve#1@example.com'])
      expect(await verdict(server, email)).toBe('403 not_allowed_access')
    await restrict({ allowlist: true })
    expect(await verdict(server, 'bob+x@corp.example')).toBe('403 not_allowed_access')
    expect(await verdict(server, 'bob@corp.example')).toBe('allowed')
  })

  it('answers Clerk’s error entries (message, long message, the field)', async () => {
    await restrict({ block_email_subaddresses: true })
    const e = await server.services.signUpPolicy
      .assertMaySignUp('eve+1@example.com')
      .catch((x) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect((e as ApiError).toJSON().errors[0]).toEqual({
      code: 'not_allowed_access',
      message: 'Access not allowed.',
      long_message: "Email address must not contain the characters '+', '=', or '#'.",
      meta: { param_name: 'email_address' },
    })
  })
})
