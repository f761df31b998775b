import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #16: a signed-in user adds an address and proves it with a code or a link read from a
// real SMTP server; only then may it become the primary, and the tokens say so at once.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())

describe.each(DIALECTS)('a user proves an added address (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let clerk: ReturnType<typeof createClerkClient>
  let n = 0
  const address = (tag: string) => `${tag}-${dialect}-${++n}@example.com`
  const clock = () => server.clock as { advance(ms: number): void }

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      fake: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
    })
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.jwtTemplates.create({
      name: 'mail',
      claims: { email: '{{user.primary_email_address}}', verified: '{{user.email_verified}}' },
    })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  /** A user created by an operator (their address verified), signed in in a new browser. */
  async function signedIn(tag: string) {
    const email = address(tag)
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const browser = new BrowserClient(server.url, APP)
    const sid = await browser.signIn(email, PASSWORD)
    return { browser, sid, user, email }
  }

  async function addAndSendCode(browser: BrowserClient, email: string) {
    const added = await browser.post('/v1/me/email_addresses', { email_address: email })
    expect(added.status).toBe(200)
    const id: string = added.json.response.id
    const at = smtp.messages.length
    const prep = await browser.post(`/v1/me/email_addresses/${id}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(prep.status).toBe(200)
    return { id, added, prep, code: codeFrom(await smtp.waitForMail(email, { after: at })) }
  }

  it('adds, sends a code, verifies with it, makes it primary; tokens and the Backend API follow', async () => {
    const { browser, sid, user } = await signedIn('owner')
    const second = address('second')
    const { id, added, prep, code } = await addAndSendCode(browser, second)
    expect(added.json.response).toMatchObject({ email_address: second, verification: null })
    expect(specErrors('Client.ClientWrappedEmailAddress', added.json)).toEqual([])
    expect(prep.json.response.verification).toMatchObject({
      status: 'unverified',
      strategy: 'email_code',
      attempts: 0,
      expire_at: expect.any(Number),
    })
    expect(specErrors('Client.ClientWrappedEmailAddress', prep.json)).toEqual([])
    // The piggybacked client renders the same verification (the cached user reloaded).
    const inClient = prep.json.client.sessions[0].user.email_addresses.find(
      (e: Json) => e.id === id,
    )
    expect(inClient.verification.status).toBe('unverified')
    expect(code).toMatch(/^\d{6}$/)

    // Not proved yet: it cannot be the primary.
    const early = await browser.post('/v1/me?_method=PATCH', { primary_email_address_id: id })
    expect(early.status).toBe(422)

    const done = await browser.post(`/v1/me/email_addresses/${id}/attempt_verification`, { code })
    expect(done.status).toBe(200)
    expect(done.json.response.verification).toMatchObject({
      status: 'verified',
      strategy: 'email_code',
    })
    const viaBapi = await clerk.users.getUser(user.id)
    expect(viaBapi.emailAddresses.find((e) => e.id === id)?.verification?.status).toBe('verified')

    const before = claimsOf((await browser.post(`/v1/client/sessions/${sid}/tokens/mail`)).json.jwt)
    expect(before.email).not.toBe(second)
    const moved = await browser.post('/v1/me?_method=PATCH', { primary_email_address_id: id })
    expect(moved.status).toBe(200)
    expect(moved.json.response.primary_email_address_id).toBe(id)
    const after = claimsOf((await browser.post(`/v1/client/sessions/${sid}/tokens/mail`)).json.jwt)
    expect(after).toMatchObject({ email: second, verified: true })
    // The new address signs in (its owner proved it).
    expect(await new BrowserClient(server.url, APP).signIn(second, PASSWORD)).toMatch(/^sess_/)
  })

  it('fails the verification after three wrong codes; the address stays unverified', async () => {
    const { browser } = await signedIn('wrong')
    const { id, code } = await addAndSendCode(browser, address('guessed'))
    const wrong = code === '000000' ? '111111' : '000000'
    const attempt = (c: string) =>
      browser.post(`/v1/me/email_addresses/${id}/attempt_verification`, { code: c })
    const before = await server.snapshot()
    expect((await attempt(wrong)).json.errors[0].code).toBe('form_code_incorrect')
    expect((await attempt(wrong)).json.errors[0].code).toBe('form_code_incorrect')
    const third = await attempt(wrong)
    expect(third.status).toBe(422)
    expect(third.json.errors[0].code).toBe('verification_failed')
    clock().advance(11_000) // past the route's 3-per-10-s window
    expect((await attempt(code)).json.errors[0].code).toBe('verification_failed')
    expect(await server.snapshot()).toEqual(before)
    const now = (await browser.get(`/v1/me/email_addresses/${id}`)).json.response
    expect(now.verification).toMatchObject({ status: 'failed', attempts: 3 })
    const primary = await browser.post('/v1/me?_method=PATCH', { primary_email_address_id: id })
    expect(primary.status).toBe(422)
  })

  it("refuses another user's address, the user's own twice, and another user's id", async () => {
    const a = await signedIn('mine')
    const b = await signedIn('theirs')
    const before = await server.snapshot()
    const taken = await a.browser.post('/v1/me/email_addresses', { email_address: b.email })
    expect(taken.status).toBe(422)
    expect(taken.json.errors[0]).toMatchObject({
      code: 'form_identifier_exists',
      meta: { param_name: 'email_address' },
    })
    const own = await a.browser.post('/v1/me/email_addresses', {
      email_address: a.email.toUpperCase(),
    })
    expect(own.json.errors[0].code).toBe('form_identifier_exists')
    const bad = await a.browser.post('/v1/me/email_addresses', { email_address: 'not-an-email' })
    expect(bad.status).toBe(422)
    const theirsId = b.user.emailAddresses[0]?.id as string
    const prep = await a.browser.post(`/v1/me/email_addresses/${theirsId}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(prep.status).toBe(404)
    const att = await a.browser.post(`/v1/me/email_addresses/${theirsId}/attempt_verification`, {
      code: '123456',
    })
    expect(att.status).toBe(404)
    expect(await server.snapshot()).toEqual(before)
    // Verified already: nothing to prepare.
    const mineId = a.user.emailAddresses[0]?.id as string
    const again = await a.browser.post(`/v1/me/email_addresses/${mineId}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(again.json.errors[0].code).toBe('verification_already_verified')
  })

  it('a link opened in the same browser verifies the address; in another, client_mismatch', async () => {
    const { browser } = await signedIn('linker')
    const sendLink = async (email: string) => {
      const added = await browser.post('/v1/me/email_addresses', { email_address: email })
      const id: string = added.json.response.id
      const at = smtp.messages.length
      const prep = await browser.post(`/v1/me/email_addresses/${id}/prepare_verification`, {
        strategy: 'email_link',
        redirect_url: `${APP}/profile`,
      })
      expect(prep.status).toBe(200)
      expect(prep.json.response.verification).toMatchObject({
        status: 'unverified',
        strategy: 'email_link',
      })
      const link = new URL(linkFrom(await smtp.waitForMail(email, { after: at })))
      return { id, path: link.pathname + link.search }
    }
    const statusOf = (r: { headers: Headers }) =>
      new URL(r.headers.get('location') ?? `${APP}/x`).searchParams.get('__clerk_status')

    const elsewhere = await sendLink(address('elsewhere'))
    const other = new BrowserClient(server.url, APP)
    expect(statusOf(await other.send('GET', elsewhere.path))).toBe('client_mismatch')
    const still = await browser.get(`/v1/me/email_addresses/${elsewhere.id}`)
    expect(still.json.response.verification.status).toBe('unverified')

    const here = await sendLink(address('here'))
    const opened = await browser.send('GET', here.path)
    expect(opened.status).toBe(303)
    expect(opened.headers.get('location')).toMatch(/^http:\/\/app\.localhost:5173\/profile\?/)
    expect(statusOf(opened)).toBe('verified')
    const proved = await browser.get(`/v1/me/email_addresses/${here.id}`)
    expect(proved.json.response.verification).toMatchObject({
      status: 'verified',
      strategy: 'email_link',
    })
    // Single use.
    expect(statusOf(await browser.send('GET', here.path))).not.toBe('verified')
  })

  it('removing an address ends its pending verification: its code proves nothing after', async () => {
    const { browser } = await signedIn('remover')
    const { id, code } = await addAndSendCode(browser, address('removed'))
    const rows = () =>
      server.db.db.selectFrom('verifications').select('id').where('owner_id', '=', id).execute()
    expect(await rows()).toHaveLength(1)
    const before = await server.snapshot()
    const gone = await browser.post(`/v1/me/email_addresses/${id}?_method=DELETE`)
    expect(gone.status).toBe(200)
    expect((await server.snapshot()).email_addresses).toBe((before.email_addresses ?? 0) - 1)
    expect(await rows()).toHaveLength(0)
    const late = await browser.post(`/v1/me/email_addresses/${id}/attempt_verification`, { code })
    expect(late.status).toBe(404)
  })

  it('a delete racing a change of the primary never leaves the primary naming a gone address', async () => {
    const { browser, user } = await signedIn('racer')
    const first = user.emailAddresses[0]?.id as string
    for (let i = 0; i < 8; i++) {
      const extra = await clerk.emailAddresses.createEmailAddress({
        userId: user.id,
        emailAddress: address('race'),
        verified: true,
      })
      const [del, patch] = await Promise.all([
        browser.post(`/v1/me/email_addresses/${extra.id}?_method=DELETE`),
        browser.post('/v1/me?_method=PATCH', { primary_email_address_id: extra.id }),
      ])
      // One of the two wins; the other is refused with Clerk's error, never a 500.
      const statuses = [del.status, patch.status]
      expect(statuses.filter((s) => s === 200)).toHaveLength(1)
      expect(statuses.every((s) => s === 200 || s === 404 || s === 422)).toBe(true)
      const me = (await browser.get('/v1/me')).json.response
      const ids = me.email_addresses.map((e: Json) => e.id)
      expect(ids).toContain(me.primary_email_address_id)
      if (me.primary_email_address_id !== first) {
        await browser.post('/v1/me?_method=PATCH', { primary_email_address_id: first })
        await browser.post(`/v1/me/email_addresses/${extra.id}?_method=DELETE`)
      }
      clock().advance(11_000)
    }
  })

  it('limits an account to 20 addresses', async () => {
    const { browser } = await signedIn('hoarder')
    for (let i = 1; i < 20; i++) {
      if (i % 3 === 0) clock().advance(11_000)
      const r = await browser.post('/v1/me/email_addresses', { email_address: address('many') })
      expect(r.status).toBe(200)
    }
    clock().advance(11_000)
    const over = await browser.post('/v1/me/email_addresses', { email_address: address('many') })
    expect(over.status).toBe(422)
    expect(over.json.errors[0]).toMatchObject({
      code: 'form_param_value_invalid',
      meta: { param_name: 'email_address' },
    })
  })

  it("refuses addresses the instance blocks: the blocklist, subaddresses when they're blocked", async () => {
    const { browser } = await signedIn('restricted')
    const blocked = address('blocked')
    await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: blocked })
    await clerk.instance.updateRestrictions({ blocklist: true, blockEmailSubaddresses: true })
    clock().advance(11_000) // settings are read again at most every few seconds
    const before = await server.snapshot()
    const listed = await browser.post('/v1/me/email_addresses', { email_address: blocked })
    expect(listed.status).toBe(403)
    expect(listed.json.errors[0].code).toBe('not_allowed_access')
    const sub = await browser.post('/v1/me/email_addresses', {
      email_address: address('plus').replace('@', '+tag@'),
    })
    expect(sub.json.errors[0].code).toBe('not_allowed_access')
    expect(await server.snapshot()).toEqual(before)
    await clerk.instance.updateRestrictions({ blocklist: false, blockEmailSubaddresses: false })
    clock().advance(11_000)
    const fine = await browser.post('/v1/me/email_addresses', { email_address: blocked })
    expect(fine.status).toBe(200)
  })
})
