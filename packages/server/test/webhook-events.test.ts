import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebhookEnvelope } from '../src/webhooks/webhook-events.js'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { codeFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:5173'
const PASSWORD = 'webhook events passphrase'
const AGENT = 'webhook-events-test/1.0'

/*
 * Issue #19, the events: every change Clerk reports is recorded in the outbox in the change's
 * own atomic write, through the routes users take, with `data` exactly the Backend API's
 * resource right after the change and the request's IP and User-Agent as its cause.
 */
describe.each(DIALECTS)('webhook events (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  const seen = new Set<string>()

  const bapi = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetchJson(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    })
  const clerk = () =>
    createClerkClient({ secretKey: server.secretKey, apiUrl: server.url, apiVersion: 'v1' })
  const browser = () => new BrowserClient(server.url, APP, { 'user-agent': AGENT })

  /** The events recorded since the last call, oldest first. */
  async function newEvents(): Promise<WebhookEnvelope[]> {
    const rows = await server.db.db
      .selectFrom('webhook_events')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    const fresh = rows.filter((r) => !seen.has(r.id))
    for (const r of fresh) seen.add(r.id)
    return fresh.map((r) => server.services.webhookEvents.open(r.id, r.payload_sealed as string))
  }
  const ofType = (events: WebhookEnvelope[], type: string) => events.filter((e) => e.type === type)
  const get = async (path: string): Promise<Json> => {
    const r = await bapi(path)
    expect(r.status).toBe(200)
    return r.json
  }
  const fromBrowser = { client_ip: '127.0.0.1', user_agent: AGENT }

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
      smtpUrl: smtp.url,
    })
    await newEvents()
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  it('a Frontend API sign-up emits user.created and session.created, exactly the BAPI resources', async () => {
    const b = browser()
    const sessionId = await b.signUp('ada@example.com', PASSWORD, { first_name: 'Ada' })
    const events = await newEvents()
    expect(events.map((e) => e.type).sort()).toEqual(['session.created', 'user.created'])
    const [created] = ofType(events, 'user.created')
    const [session] = ofType(events, 'session.created')
    const s = await get(`/v1/sessions/${sessionId}`)
    expect(session?.data).toEqual(s)
    expect(created?.data).toEqual(await get(`/v1/users/${s.user_id}`))
    expect(created?.event_attributes.http_request).toEqual(fromBrowser)
    expect(created?.instance_id).toBe(server.services.instance.id)
  })

  it('a rolled-back or refused change emits nothing', async () => {
    // The address is taken: the sign-up is refused, no user, no event.
    const dup = await browser().post('/v1/client/sign_ups', {
      email_address: 'ada@example.com',
      password: PASSWORD,
    })
    expect(dup.status).toBe(422)
    // A wrong password starts no session.
    const wrong = await browser().post('/v1/client/sign_ins', {
      identifier: 'ada@example.com',
      password: 'not the passphrase at all',
      strategy: 'password',
    })
    expect(wrong.status).toBe(422)
    // The Backend API's create with a duplicate address.
    await expect(
      clerk().users.createUser({ emailAddress: ['ada@example.com'], password: PASSWORD }),
    ).rejects.toThrow()
    // An update that violates a unique index rolls back with its event.
    const other = await clerk().users.createUser({
      emailAddress: ['x@example.com'],
      username: 'x_user',
      password: PASSWORD,
    })
    await newEvents()
    const ada = await get('/v1/users?email_address=ada@example.com')
    const r = await bapi(`/v1/users/${ada[0].id}`, {
      method: 'PATCH',
      body: { username: 'x_user' },
    })
    expect(r.status).toBe(422)
    expect(await newEvents()).toEqual([])
    await clerk().users.deleteUser(other.id)
    await newEvents()
  })

  it('sign-in, sign-out and remove emit session.created, session.ended, session.removed', async () => {
    const b = browser()
    const first = await b.signIn('ada@example.com', PASSWORD)
    const [created, ...rest] = await newEvents()
    expect(rest).toEqual([])
    expect(created?.type).toBe('session.created')
    expect(created?.data).toEqual(await get(`/v1/sessions/${first}`))
    expect(created?.event_attributes.http_request).toEqual(fromBrowser)

    const ended = await b.post(`/v1/client/sessions/${first}/end`)
    expect(ended.status).toBe(200)
    const [end] = await newEvents()
    expect(end?.type).toBe('session.ended')
    expect(end?.data).toEqual(await get(`/v1/sessions/${first}`))
    expect(((end?.data ?? {}) as Json).status).toBe('ended')
    // Ending it again changes nothing and emits nothing.
    await b.post(`/v1/client/sessions/${first}/end`)
    expect(await newEvents()).toEqual([])

    const second = await b.signIn('ada@example.com', PASSWORD)
    await newEvents()
    await b.post(`/v1/client/sessions/${second}/remove`)
    const [removed] = await newEvents()
    expect(removed?.type).toBe('session.removed')
    expect(removed?.data).toEqual(await get(`/v1/sessions/${second}`))
  })

  it('the hosted sign-in form (no JavaScript) emits session.created', async () => {
    const b = browser()
    const r = await b.hostedSignIn('ada@example.com', PASSWORD)
    expect(r.status).toBeLessThan(400)
    const events = await newEvents()
    expect(events.map((e) => e.type)).toEqual(['session.created'])
    const data = events[0]?.data as Json
    expect(data).toEqual(await get(`/v1/sessions/${data.id}`))
    expect(events[0]?.event_attributes.http_request).toEqual(fromBrowser)
    // A wrong password there starts nothing.
    await browser().hostedSignIn('ada@example.com', 'not the passphrase at all')
    expect(await newEvents()).toEqual([])
  })

  it('the Backend API: create, update, metadata, ban, revoke, delete', async () => {
    const api = clerk()
    const user = await api.users.createUser({
      emailAddress: ['grace@example.com'],
      password: PASSWORD,
      firstName: 'Grace',
    })
    const [created] = await newEvents()
    expect(created?.type).toBe('user.created')
    expect(created?.data).toEqual(await get(`/v1/users/${user.id}`))
    expect(created?.event_attributes.http_request.client_ip).toBe('127.0.0.1')

    await api.users.updateUser(user.id, { lastName: 'Hopper' })
    const [updated] = await newEvents()
    expect(updated?.type).toBe('user.updated')
    expect(updated?.data).toEqual(await get(`/v1/users/${user.id}`))
    expect(((updated?.data ?? {}) as Json).last_name).toBe('Hopper')

    await api.users.updateUserMetadata(user.id, { publicMetadata: { plan: 'pro' } })
    const [meta] = await newEvents()
    expect(meta?.type).toBe('user.updated')
    expect(meta?.data).toEqual(await get(`/v1/users/${user.id}`))

    // A session through the Backend API, revoked through it.
    const session = await api.sessions.createSession({ userId: user.id })
    const [sc] = await newEvents()
    expect(sc?.type).toBe('session.created')
    expect(sc?.data).toEqual(await get(`/v1/sessions/${session.id}`))
    await api.sessions.revokeSession(session.id)
    const [revoked] = await newEvents()
    expect(revoked?.type).toBe('session.revoked')
    expect(revoked?.data).toEqual(await get(`/v1/sessions/${session.id}`))

    // A ban signs the user out everywhere: user.updated and one session.revoked per session.
    const b = browser()
    const live = await b.signIn('grace@example.com', PASSWORD)
    await newEvents()
    await api.users.banUser(user.id)
    const banned = await newEvents()
    expect(banned.map((e) => e.type).sort()).toEqual(['session.revoked', 'user.updated'])
    expect(ofType(banned, 'user.updated')[0]?.data).toEqual(await get(`/v1/users/${user.id}`))
    expect(ofType(banned, 'session.revoked')[0]?.data).toEqual(await get(`/v1/sessions/${live}`))
    await api.users.unbanUser(user.id)
    const [unbanned] = await newEvents()
    expect(((unbanned?.data ?? {}) as Json).banned).toBe(false)

    await api.users.deleteUser(user.id)
    const [deleted] = await newEvents()
    expect(deleted).toMatchObject({
      type: 'user.deleted',
      data: { object: 'user', id: user.id, deleted: true },
    })
  })

  it('the profile: /v1/me updates, a password change with sign-out, DELETE /v1/me', async () => {
    const laptop = browser()
    const sid = await laptop.signUp('lin@example.com', PASSWORD)
    const phone = browser()
    const other = await phone.signIn('lin@example.com', PASSWORD)
    await newEvents()
    const userId = (await get(`/v1/sessions/${sid}`)).user_id

    const r = await laptop.post(`/v1/me?_method=PATCH&_clerk_session_id=${sid}`, {
      first_name: 'Lin',
    })
    expect(r.status).toBe(200)
    const [updated] = await newEvents()
    expect(updated?.type).toBe('user.updated')
    expect(updated?.data).toEqual(await get(`/v1/users/${userId}`))
    expect(updated?.event_attributes.http_request).toEqual(fromBrowser)

    const pw = await laptop.post(`/v1/me/change_password?_clerk_session_id=${sid}`, {
      current_password: PASSWORD,
      new_password: 'a brand new passphrase',
      sign_out_of_other_sessions: 'true',
    })
    expect(pw.status).toBe(200)
    const changed = await newEvents()
    expect(changed.map((e) => e.type).sort()).toEqual(['session.revoked', 'user.updated'])
    expect(ofType(changed, 'session.revoked')[0]?.data).toEqual(await get(`/v1/sessions/${other}`))
    expect(
      ((ofType(changed, 'user.updated')[0]?.data ?? {}) as Json).password_last_updated_at,
    ).toBe((await get(`/v1/users/${userId}`)).password_last_updated_at)

    const del = await laptop.post(`/v1/me?_method=DELETE&_clerk_session_id=${sid}`)
    expect(del.status).toBe(200)
    const [deleted] = await newEvents()
    expect(deleted).toMatchObject({
      type: 'user.deleted',
      data: { object: 'user', id: userId, deleted: true },
      event_attributes: { http_request: fromBrowser },
    })
  })

  it('a verification mail emits email.created; webhook_only stops the SMTP send', async () => {
    await bapi('/v1/instance', { method: 'PATCH', body: {} })
    const b = browser()
    const sid = await b.signUp('mail@example.com', PASSWORD)
    await newEvents()
    const add = await b.post(`/v1/me/email_addresses?_clerk_session_id=${sid}`, {
      email_address: 'second@example.com',
    })
    expect(add.status).toBe(200)
    const emailId = add.json.response.id
    const userId = (await get(`/v1/sessions/${sid}`)).user_id
    const [added] = await newEvents()
    expect(added?.type).toBe('user.updated')
    expect(added?.data).toEqual(await get(`/v1/users/${userId}`))

    const before = smtp.messages.length
    const prep = await b.post(
      `/v1/me/email_addresses/${emailId}/prepare_verification?_clerk_session_id=${sid}`,
      { strategy: 'email_code' },
    )
    expect(prep.status).toBe(200)
    const mail = await smtp.waitForMail('second@example.com', { after: before })
    const [email] = await newEvents()
    expect(email?.type).toBe('email.created')
    expect(email?.data).toMatchObject({
      object: 'email',
      slug: 'verification_code',
      to_email_address: 'second@example.com',
      email_address_id: emailId,
      subject: mail.subject,
      delivered_by_clerk: true,
      status: 'queued',
    })
    expect(((email?.data ?? {}) as Json).body_plain).toContain(codeFrom(mail))
    expect(email?.event_attributes.http_request).toEqual(fromBrowser)

    // Proving it is a user.updated.
    const ok = await b.post(
      `/v1/me/email_addresses/${emailId}/attempt_verification?_clerk_session_id=${sid}`,
      { code: codeFrom(mail) },
    )
    expect(ok.status).toBe(200)
    const [verified] = await newEvents()
    expect(verified?.type).toBe('user.updated')
    expect(verified?.data).toEqual(await get(`/v1/users/${userId}`))

    // The operator's provider sends the mail: Latchkey queues none, the event says so.
    const patched = await bapi('/v1/instance', {
      method: 'PATCH',
      body: { email_delivery: 'webhook_only' },
    })
    expect(patched.status).toBe(204)
    expect((await get('/v1/instance')).email_delivery).toBe('webhook_only')
    const third = await b.post(`/v1/me/email_addresses?_clerk_session_id=${sid}`, {
      email_address: 'third@example.com',
    })
    await newEvents()
    const outboxBefore = await server.db.db.selectFrom('mail_outbox').selectAll().execute()
    const sent = smtp.messages.length
    const again = await b.post(
      `/v1/me/email_addresses/${third.json.response.id}/prepare_verification?_clerk_session_id=${sid}`,
      { strategy: 'email_code' },
    )
    expect(again.status).toBe(200)
    const [own] = await newEvents()
    expect(own?.type).toBe('email.created')
    expect(own?.data).toMatchObject({
      to_email_address: 'third@example.com',
      delivered_by_clerk: false,
    })
    expect(((own?.data ?? {}) as Json).body_plain).toMatch(/\d{6}/)
    expect(await server.db.db.selectFrom('mail_outbox').selectAll().execute()).toHaveLength(
      outboxBefore.length,
    )
    server.services.mail.kick()
    await new Promise((r) => setTimeout(r, 1500))
    expect(smtp.messages.length).toBe(sent)
    await bapi('/v1/instance', { method: 'PATCH', body: { email_delivery: 'latchkey' } })
  })
})
