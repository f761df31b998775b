import { createClerkClient } from '@clerk/backend'
import { isClerkAPIResponseError } from '@clerk/backend/errors'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** The Clerk error a promise rejects with: status and first code. */
async function clerkError(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p
  } catch (e) {
    if (isClerkAPIResponseError(e)) return { status: e.status, code: e.errors[0]?.code ?? '' }
    throw e
  }
  throw new Error('expected the call to fail')
}

// Issue #16, operator settings: Clerk's restrictions and allow/block lists through
// `@clerk/backend` unchanged.
describe.each(DIALECTS)('restrictions and allow/block lists (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  const bapi = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetchJson(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    })

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  it('updates restrictions in Clerk’s shape, a field left out keeping its value', async () => {
    const r = await clerk.instance.updateRestrictions({
      allowlist: true,
      blockEmailSubaddresses: true,
    })
    expect(r).toMatchObject({
      allowlist: true,
      blocklist: false,
      blockEmailSubaddresses: true,
      blockDisposableEmailDomains: false,
    })
    const raw = await bapi('/v1/instance/restrictions', {
      method: 'PATCH',
      body: { blocklist: true },
    })
    expect(raw.status).toBe(200)
    expect(raw.json).toEqual({
      object: 'instance_restrictions',
      allowlist: true,
      blocklist: true,
      // Latchkey holds them at sign-up only, and says so.
      allowlist_blocklist_disabled_on_sign_in: true,
      block_email_subaddresses: true,
      block_disposable_email_domains: false,
    })
    expect((await bapi('/v1/instance/restrictions')).json).toEqual(raw.json)
    await clerk.instance.updateRestrictions({
      allowlist: false,
      blocklist: false,
      blockEmailSubaddresses: false,
    })
  })

  it('refuses restrictions Latchkey lacks and unknown fields, writing nothing', async () => {
    const before = (await bapi('/v1/instance/restrictions')).json
    for (const body of [
      { block_disposable_email_domains: true },
      { allowlist_blocklist_disabled_on_sign_in: false },
      { allowlist: true, ignore_dots_for_gmail_addresses: true },
      { allowlist: 'yes' },
      { allowlist: true, restricted: true },
    ]) {
      const r = await bapi('/v1/instance/restrictions', { method: 'PATCH', body })
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.json.errors[0].code).toMatch(/^form_param_(format_invalid|unknown)$/)
    }
    expect((await bapi('/v1/instance/restrictions')).json).toEqual(before)
    expect(
      await clerkError(clerk.instance.updateRestrictions({ blockDisposableEmailDomains: true })),
    ).toEqual({ status: 422, code: 'form_param_format_invalid' })
  })

  describe('identifiers', () => {
    beforeEach(async () => {
      for (const list of ['allowlist', 'blocklist'] as const) {
        const r = await bapi(`/v1/${list}_identifiers?paginated=true&limit=500`)
        for (const i of r.json.data)
          await bapi(`/v1/${list}_identifiers/${i.id}`, { method: 'DELETE' })
      }
    })

    it('adds, lists and deletes allowlist identifiers (addresses and *@domain, lower-cased)', async () => {
      const ada = await clerk.allowlistIdentifiers.createAllowlistIdentifier({
        identifier: ' Ada@Example.COM ',
        notify: false,
      })
      expect(ada.id).toMatch(/^alid_/)
      expect(ada.identifier).toBe('ada@example.com')
      expect(ada.identifierType).toBe('email_address')
      expect(ada.instanceId).toBe(server.bootstrap.instanceId)
      const domain = await clerk.allowlistIdentifiers.createAllowlistIdentifier({
        identifier: '*@Corp.Example',
        notify: false,
      })
      expect(domain.identifier).toBe('*@corp.example')
      const list = await clerk.allowlistIdentifiers.getAllowlistIdentifierList()
      expect(list.totalCount).toBe(2)
      expect(list.data.map((i) => i.id)).toEqual([domain.id, ada.id]) // newest first
      // Clerk's bare array without `paginated`.
      const bare = await bapi('/v1/allowlist_identifiers')
      expect(bare.json.map((i: { object: string }) => i.object)).toEqual([
        'allowlist_identifier',
        'allowlist_identifier',
      ])
      const deleted = await clerk.allowlistIdentifiers.deleteAllowlistIdentifier(ada.id)
      expect(deleted).toMatchObject({ id: ada.id, deleted: true, object: 'allowlist_identifier' })
      expect(
        await clerkError(clerk.allowlistIdentifiers.deleteAllowlistIdentifier(ada.id)),
      ).toEqual({ status: 404, code: 'resource_not_found' })
      expect((await clerk.allowlistIdentifiers.getAllowlistIdentifierList()).totalCount).toBe(1)
    })

    it('adds, lists and deletes blocklist identifiers ({ data, total_count } as in Clerk)', async () => {
      const spam = await clerk.blocklistIdentifiers.createBlocklistIdentifier({
        identifier: '*@spam.example',
      })
      expect(spam.id).toMatch(/^blid_/)
      const raw = await bapi('/v1/blocklist_identifiers')
      expect(raw.json).toMatchObject({ total_count: 1, data: [{ object: 'blocklist_identifier' }] })
      const list = await clerk.blocklistIdentifiers.getBlocklistIdentifierList()
      expect(list.data.map((i) => i.identifier)).toEqual(['*@spam.example'])
      await clerk.blocklistIdentifiers.deleteBlocklistIdentifier(spam.id)
      expect((await clerk.blocklistIdentifiers.getBlocklistIdentifierList()).totalCount).toBe(0)
    })

    it('refuses a duplicate (duplicate_record), a phone number, a bad wildcard and notify: true, writing nothing', async () => {
      await clerk.allowlistIdentifiers.createAllowlistIdentifier({
        identifier: 'grace@example.com',
        notify: false,
      })
      expect(
        await clerkError(
          clerk.allowlistIdentifiers.createAllowlistIdentifier({
            identifier: 'GRACE@example.com',
            notify: false,
          }),
        ),
      ).toEqual({ status: 400, code: 'duplicate_record' })
      for (const identifier of ['+15555550100', '*@', '*@*.example', 'not an address', 'a@b']) {
        const r = await bapi('/v1/allowlist_identifiers', { method: 'POST', body: { identifier } })
        expect(r.status, identifier).toBe(422)
        expect(r.json.errors[0]).toMatchObject({
          code: 'form_param_format_invalid',
          meta: { param_name: 'identifier' },
        })
      }
      const notify = await bapi('/v1/allowlist_identifiers', {
        method: 'POST',
        body: { identifier: 'new@example.com', notify: true },
      })
      expect(notify.status).toBe(422)
      const missing = await bapi('/v1/blocklist_identifiers', { method: 'POST', body: {} })
      expect(missing.json.errors[0].code).toBe('form_param_missing')
      const bad = await bapi('/v1/blocklist_identifiers/user_123', { method: 'DELETE' })
      expect(bad.status).toBe(422)
      expect((await clerk.allowlistIdentifiers.getAllowlistIdentifierList()).totalCount).toBe(1)
      expect((await clerk.blocklistIdentifiers.getBlocklistIdentifierList()).totalCount).toBe(0)
    })

    it('needs the secret key', async () => {
      const r = await fetchJson(`${server.url}/v1/allowlist_identifiers`)
      expect(r.status).toBe(401)
    })
  })
})
