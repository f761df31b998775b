import { createClerkClient } from '@clerk/backend'
import { isClerkAPIResponseError } from '@clerk/backend/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

async function clerkError(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p
  } catch (e) {
    if (isClerkAPIResponseError(e)) return { status: e.status, code: e.errors[0]?.code ?? '' }
    throw e
  }
  throw new Error('expected the call to fail')
}

// Issue #16: Clerk's Backend API `email_addresses` resource through `@clerk/backend` unchanged.
describe.each(DIALECTS)('Backend API email addresses (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  const bapi = (method: string, path: string, body?: unknown) =>
    fetchJson(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  it('users created through the Backend API keep verified addresses, as in Clerk', async () => {
    const u = await clerk.users.createUser({ emailAddress: ['kept@example.com'] })
    expect(u.primaryEmailAddress?.verification?.status).toBe('verified')
  })

  it('creates, gets, updates and deletes an address for a user', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['ada@example.com'] })
    const second = await clerk.emailAddresses.createEmailAddress({
      userId: user.id,
      emailAddress: 'Ada.Work@Example.com',
    })
    expect(second.id).toMatch(/^idn_/)
    expect(second.emailAddress).toBe('ada.work@example.com')
    expect(second.verification).toBeNull()
    expect((await clerk.users.getUser(user.id)).primaryEmailAddressId).toBe(
      user.primaryEmailAddressId,
    )
    const raw = await bapi('GET', `/v1/email_addresses/${second.id}`)
    expect(raw.status).toBe(200)
    expect(raw.json).toMatchObject({
      object: 'email_address',
      id: second.id,
      email_address: 'ada.work@example.com',
      reserved: false,
      verification: null,
      linked_to: [],
    })
    expect((await clerk.emailAddresses.getEmailAddress(second.id)).id).toBe(second.id)

    const verified = await clerk.emailAddresses.updateEmailAddress(second.id, { verified: true })
    expect(verified.verification?.status).toBe('verified')
    await clerk.emailAddresses.updateEmailAddress(second.id, { primary: true })
    const after = await clerk.users.getUser(user.id)
    expect(after.primaryEmailAddressId).toBe(second.id)
    expect(after.primaryEmailAddress?.emailAddress).toBe('ada.work@example.com')

    const old = user.primaryEmailAddressId as string
    expect(await clerk.emailAddresses.deleteEmailAddress(old)).toMatchObject({
      id: old,
      deleted: true,
    })
    expect(await clerkError(clerk.emailAddresses.getEmailAddress(old))).toEqual({
      status: 404,
      code: 'resource_not_found',
    })
    expect((await clerk.users.getUser(user.id)).emailAddresses.map((e) => e.id)).toEqual([
      second.id,
    ])
  })

  it('creates a verified address as primary when asked', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['grace@example.com'] })
    const e = await clerk.emailAddresses.createEmailAddress({
      userId: user.id,
      emailAddress: 'grace@navy.example',
      verified: true,
      primary: true,
    })
    expect(e.verification?.status).toBe('verified')
    expect((await clerk.users.getUser(user.id)).primaryEmailAddressId).toBe(e.id)
  })

  it('makes a user’s first address primary', async () => {
    const user = await clerk.users.createUser({
      username: 'noemail',
      password: 'a long enough passphrase',
    })
    expect(user.primaryEmailAddressId).toBeNull()
    const e = await clerk.emailAddresses.createEmailAddress({
      userId: user.id,
      emailAddress: 'first@example.com',
      verified: true,
    })
    expect((await clerk.users.getUser(user.id)).primaryEmailAddressId).toBe(e.id)
  })

  it('refuses an unverified primary, deleting or unverifying the primary, a taken address and bad input, writing nothing', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['alan@example.com'] })
    const primary = user.primaryEmailAddressId as string
    const before = await server.snapshot()
    expect(
      await clerkError(
        clerk.emailAddresses.createEmailAddress({
          userId: user.id,
          emailAddress: 'alan2@example.com',
          primary: true,
        }),
      ),
    ).toEqual({ status: 422, code: 'form_param_value_invalid' })
    const unverified = await clerk.emailAddresses.createEmailAddress({
      userId: user.id,
      emailAddress: 'alan3@example.com',
    })
    const mid = await server.snapshot()
    expect(mid.email_addresses).toBe((before.email_addresses ?? 0) + 1)
    expect(
      await clerkError(clerk.emailAddresses.updateEmailAddress(unverified.id, { primary: true })),
    ).toEqual({ status: 422, code: 'form_param_value_invalid' })
    expect(await clerkError(clerk.emailAddresses.deleteEmailAddress(primary))).toEqual({
      status: 422,
      code: 'form_param_value_invalid',
    })
    expect(
      await clerkError(clerk.emailAddresses.updateEmailAddress(primary, { verified: false })),
    ).toEqual({ status: 422, code: 'form_param_value_invalid' })
    expect(
      await clerkError(
        clerk.emailAddresses.createEmailAddress({
          userId: user.id,
          emailAddress: 'GRACE@example.com',
        }),
      ),
    ).toEqual({ status: 422, code: 'form_identifier_exists' })
    expect(
      await clerkError(
        clerk.emailAddresses.createEmailAddress({
          userId: 'user_doesnotexist',
          emailAddress: 'ghost@example.com',
        }),
      ),
    ).toEqual({ status: 404, code: 'resource_not_found' })
    for (const body of [
      { user_id: user.id, email_address: 'not an address' },
      { user_id: user.id },
      { user_id: 'sess_1', email_address: 'x@example.com' },
      { user_id: user.id, email_address: 'y@example.com', unknown: 1 },
      {
        user_id: user.id,
        email_address: 'z@example.com',
        notify_primary_email_address_changed: true,
      },
    ]) {
      const r = await bapi('POST', '/v1/email_addresses', body)
      expect(r.status, JSON.stringify(body)).toBe(422)
    }
    expect((await bapi('PATCH', `/v1/email_addresses/${primary}`, { verified: 'no' })).status).toBe(
      422,
    )
    expect((await bapi('GET', '/v1/email_addresses/user_1')).status).toBe(422)
    expect(await server.snapshot()).toEqual(mid)
    const still = await clerk.users.getUser(user.id)
    expect(still.primaryEmailAddressId).toBe(primary)
    expect(still.primaryEmailAddress?.verification?.status).toBe('verified')
  })
})
