import { createClerkClient } from '@clerk/backend'
import { isClerkAPIResponseError } from '@clerk/backend/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** `@clerk/backend`, unchanged, pointed at Latchkey. */
describe.each(DIALECTS)('@clerk/backend against the Backend API (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  it('creates, gets, lists, filters and counts users', async () => {
    const ada = await clerk.users.createUser({
      emailAddress: ['Ada@Example.com'],
      password: 'analytical engine 1843',
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: 'ada',
      externalId: 'ext-ada',
      publicMetadata: { role: 'admin' },
      privateMetadata: { stripe: 'cus_1' },
    })
    expect(ada.id).toMatch(/^user_/)
    expect(ada.primaryEmailAddress?.emailAddress).toBe('ada@example.com')
    expect(ada.fullName).toBe('Ada Lovelace')
    expect(ada.passwordEnabled).toBe(true)
    expect(ada.publicMetadata).toEqual({ role: 'admin' })
    expect(ada.privateMetadata).toEqual({ stripe: 'cus_1' })
    expect(ada.createdAt).toBeGreaterThan(1_600_000_000_000)

    const alan = await clerk.users.createUser({
      emailAddress: ['alan@example.com'],
      firstName: 'Alan',
      skipPasswordRequirement: true,
    } as never)
    await clerk.users.createUser({ emailAddress: ['grace@example.com'], externalId: 'ext-grace' })

    expect((await clerk.users.getUser(ada.id)).username).toBe('ada')

    const all = await clerk.users.getUserList()
    expect(all.totalCount).toBe(3)
    expect(all.data.map((u) => u.id)[0]).not.toBe(ada.id) // newest first

    const byEmail = await clerk.users.getUserList({
      emailAddress: ['ada@example.com', 'alan@example.com'],
    })
    expect(byEmail.data.map((u) => u.id).sort()).toEqual([ada.id, alan.id].sort())
    expect(byEmail.totalCount).toBe(2)
    expect(
      (await clerk.users.getUserList({ externalId: ['ext-grace'] })).data[0]?.primaryEmailAddress
        ?.emailAddress,
    ).toBe('grace@example.com')
    expect((await clerk.users.getUserList({ username: ['ada'] })).data).toHaveLength(1)
    expect((await clerk.users.getUserList({ userId: [alan.id] })).data[0]?.firstName).toBe('Alan')
    expect((await clerk.users.getUserList({ query: 'lovel' })).data.map((u) => u.id)).toEqual([
      ada.id,
    ])
    expect((await clerk.users.getUserList({ query: 'grace@' })).data).toHaveLength(1)
    const page = await clerk.users.getUserList({ limit: 1, offset: 1, orderBy: '+created_at' })
    expect(page.data.map((u) => u.id)).toEqual([alan.id])
    expect(page.totalCount).toBe(3)
    expect(await clerk.users.getCount()).toBe(3)
    expect(await clerk.users.getCount({ emailAddress: ['nobody@example.com'] })).toBe(0)
  })

  it('updates a user and merges metadata deeply, null deleting a key', async () => {
    const u = await clerk.users.createUser({
      emailAddress: ['merge@example.com'],
      publicMetadata: { plan: 'free', prefs: { theme: 'dark', lang: 'en' } },
    })
    const updated = await clerk.users.updateUser(u.id, { firstName: 'Mergy', username: 'mergy' })
    expect(updated.firstName).toBe('Mergy')
    expect(updated.username).toBe('mergy')
    const merged = await clerk.users.updateUserMetadata(u.id, {
      publicMetadata: { plan: 'pro', prefs: { lang: null, tz: 'UTC' } },
      privateMetadata: { note: 'vip' },
    })
    expect(merged.publicMetadata).toEqual({ plan: 'pro', prefs: { theme: 'dark', tz: 'UTC' } })
    expect(merged.privateMetadata).toEqual({ note: 'vip' })
  })

  it('refuses a taken email, a weak password and an unknown parameter with Clerk errors', async () => {
    const expectClerkError = async (
      p: Promise<unknown>,
      status: number,
      code: string,
      param?: string,
    ) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isClerkAPIResponseError(err)).toBe(true)
      if (!isClerkAPIResponseError(err)) return
      expect(err.status).toBe(status)
      expect(err.errors[0]?.code).toBe(code)
      if (param) expect(err.errors[0]?.meta?.paramName).toBe(param)
    }
    await clerk.users.createUser({ emailAddress: ['taken@example.com'] })
    const before = await server.snapshot()
    await expectClerkError(
      clerk.users.createUser({ emailAddress: ['TAKEN@example.com'] }),
      422,
      'form_identifier_exists',
      'email_address',
    )
    await expectClerkError(
      clerk.users.createUser({ emailAddress: ['w@example.com'], password: 'password123' }),
      422,
      'form_password_pwned',
      'password',
    )
    await expectClerkError(
      clerk.users.createUser({ emailAddress: ['w@example.com'], password: 'short' }),
      422,
      'form_password_length_too_short',
      'password',
    )
    await expectClerkError(
      clerk.users.createUser({ emailAddress: ['not-an-email'] }),
      422,
      'form_param_format_invalid',
      'email_address.0',
    )
    await expectClerkError(
      clerk.users.createUser({ emailAddress: ['x@example.com'], shoeSize: 44 } as never),
      422,
      'form_param_unknown',
      'shoe_size',
    )
    await expectClerkError(clerk.users.getUser('user_doesnotexist'), 404, 'resource_not_found')
    await expectClerkError(
      clerk.users.getUser('sess_wrongprefix'),
      422,
      'form_param_format_invalid',
      'user_id',
    )
    expect(await server.snapshot()).toEqual(before)
  })

  it('bans, locks, verifies passwords and deletes users', async () => {
    const u = await clerk.users.createUser({
      emailAddress: ['flags@example.com'],
      password: 'flags and banners 99',
    })
    expect(
      (await clerk.users.verifyPassword({ userId: u.id, password: 'flags and banners 99' }))
        .verified,
    ).toBe(true)
    await expect(
      clerk.users.verifyPassword({ userId: u.id, password: 'nope nope nope' }),
    ).rejects.toMatchObject({ status: 422 })

    const browser = new BrowserClient(server.url)
    const sid = await browser.signIn('flags@example.com', 'flags and banners 99')

    expect((await clerk.users.banUser(u.id)).banned).toBe(true)
    expect((await clerk.sessions.getSession(sid)).status).toBe('revoked')
    const refused = await browser.post('/v1/client/sign_ins', {
      identifier: 'flags@example.com',
      password: 'flags and banners 99',
    })
    expect(refused.status).toBe(403)
    expect(refused.json.errors[0].code).toBe('user_banned')
    expect((await clerk.users.unbanUser(u.id)).banned).toBe(false)

    expect((await clerk.users.lockUser(u.id)).locked).toBe(true)
    const locked = await browser.post('/v1/client/sign_ins', {
      identifier: 'flags@example.com',
      password: 'flags and banners 99',
    })
    expect(locked.json.errors[0].code).toBe('user_locked')
    expect((await clerk.users.unlockUser(u.id)).locked).toBe(false)
    await browser.signIn('flags@example.com', 'flags and banners 99')

    const deleted = await clerk.users.deleteUser(u.id)
    expect(deleted).toMatchObject({ object: 'user', id: u.id, deleted: true })
    await expect(clerk.users.getUser(u.id)).rejects.toMatchObject({ status: 404 })
  })

  it('lists, gets, creates and revokes sessions, and mints their tokens', async () => {
    const u = await clerk.users.createUser({
      emailAddress: ['sess@example.com'],
      password: 'sessions are fun 42',
    })
    const b1 = new BrowserClient(server.url)
    const b2 = new BrowserClient(server.url)
    const s1 = await b1.signIn('sess@example.com', 'sessions are fun 42')
    const s2 = await b2.signIn('sess@example.com', 'sessions are fun 42')
    const s3 = await clerk.sessions.createSession({ userId: u.id })
    expect(s3.status).toBe('active')

    const list = await clerk.sessions.getSessionList({ userId: u.id })
    expect(list.totalCount).toBe(3)
    expect(list.data.map((s) => s.id).sort()).toEqual([s1, s2, s3.id].sort())
    const one = await clerk.sessions.getSession(s1)
    expect(one).toMatchObject({ id: s1, userId: u.id, status: 'active' })
    expect(
      (await clerk.sessions.getSessionList({ clientId: one.clientId })).data.map((s) => s.id),
    ).toEqual([s1])

    const token = await clerk.sessions.getToken(s3.id)
    expect(token.jwt.split('.')).toHaveLength(3)

    const revoked = await clerk.sessions.revokeSession(s2)
    expect(revoked.status).toBe('revoked')
    expect(
      (await clerk.sessions.getSessionList({ userId: u.id, status: 'active' })).totalCount,
    ).toBe(2)
    expect((await b2.post(`/v1/client/sessions/${s2}/tokens`)).status).toBe(401)
    expect((await b1.post(`/v1/client/sessions/${s1}/tokens`)).status).toBe(200)
  })

  it('reads and changes the instance', async () => {
    const before = await clerk.instance.get()
    expect(before.id).toMatch(/^ins_/)
    await clerk.instance.update({
      allowedOrigins: ['https://app.example.com', 'capacitor://localhost'],
    } as never)
    const after = await clerk.instance.get()
    expect(after.allowedOrigins).toEqual(['https://app.example.com', 'capacitor://localhost'])
  })

  it('refuses a wrong secret key', async () => {
    const wrong = createClerkClient({
      secretKey: 'sk_live_wrongwrongwrongwrongwrong',
      apiUrl: server.url,
    })
    await expect(wrong.users.getUserList()).rejects.toMatchObject({ status: 401 })
  })
})
