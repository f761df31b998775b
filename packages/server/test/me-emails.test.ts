import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: the email-address routes Clerk's UserProfile calls that need no verification.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

describe.each(DIALECTS)('/v1/me/email_addresses (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let ids: { work: string; home: string }

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    // Addresses an operator creates are verified; the first is primary.
    const user = await clerk.users.createUser({
      emailAddress: ['work@example.com', 'home@example.com'],
      password: PASSWORD,
    })
    const byAddress = (a: string) =>
      user.emailAddresses.find((e) => e.emailAddress === a)?.id as string
    ids = { work: byAddress('work@example.com'), home: byAddress('home@example.com') }
    browser = new BrowserClient(server.url, APP)
    await browser.signIn('work@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  it("lists the user's addresses in Clerk's shape", async () => {
    const r = await browser.get('/v1/me/email_addresses')
    expect(r.status).toBe(200)
    expect(r.json.map((e: Json) => e.email_address).sort()).toEqual([
      'home@example.com',
      'work@example.com',
    ])
    expect(specErrors('Server.UserEmailAddresses', r.json)).toEqual([])
    const one = await browser.get(`/v1/me/email_addresses/${ids.home}`)
    expect(one.json.response.email_address).toBe('home@example.com')
    expect(specErrors('Client.ClientWrappedEmailAddress', one.json)).toEqual([])
  })

  it("another user's address is not found", async () => {
    const other = new BrowserClient(server.url, APP)
    await other.signUp('other@example.com', PASSWORD)
    expect((await other.get(`/v1/me/email_addresses/${ids.home}`)).status).toBe(404)
    expect((await other.post(`/v1/me/email_addresses/${ids.home}?_method=DELETE`)).status).toBe(404)
    // Nor can it become the other user's primary address (where their mail would go).
    const before = (await other.get('/v1/me')).json.response.primary_email_address_id
    const take = await other.post('/v1/me?_method=PATCH', { primary_email_address_id: ids.home })
    expect(take.status).toBe(404)
    expect((await other.get('/v1/me')).json.response.primary_email_address_id).toBe(before)
    expect((await browser.get('/v1/me/email_addresses')).json).toHaveLength(2)
  })

  it('keeps the primary address, moves primary to a verified one, then removes the old', async () => {
    const keep = await browser.post(`/v1/me/email_addresses/${ids.work}?_method=DELETE`)
    expect(keep.status).toBe(422)
    const moved = await browser.post('/v1/me?_method=PATCH', { primary_email_address_id: ids.home })
    expect(moved.status).toBe(200)
    expect(moved.json.response.primary_email_address_id).toBe(ids.home)
    const removed = await browser.post(`/v1/me/email_addresses/${ids.work}?_method=DELETE`)
    expect(removed.status).toBe(200)
    expect(removed.json.response).toEqual({
      object: 'email_address',
      id: ids.work,
      deleted: true,
    })
    expect(removed.json.client.sessions[0].user.email_addresses).toHaveLength(1)
    const signIn = await new BrowserClient(server.url, APP).post('/v1/client/sign_ins', {
      identifier: 'work@example.com',
    })
    expect(signIn.json.errors[0].code).toBe('form_identifier_not_found')
  })

  it('refuses to make an unverified address primary', async () => {
    const fresh = new BrowserClient(server.url, APP)
    await fresh.signUp('unproved@example.com', PASSWORD)
    const [email] = (await fresh.get('/v1/me/email_addresses')).json
    expect(email.verification).toBeNull()
    const r = await fresh.post('/v1/me?_method=PATCH', { primary_email_address_id: email.id })
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('primary_email_address_id')
  })
})
