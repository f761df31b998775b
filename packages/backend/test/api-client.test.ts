import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../../server/test/helpers/browser-client.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../../server/test/helpers/test-server.js'
import { createLatchkeyClient, LatchkeyAPIResponseError, verifyToken } from '../src/index.js'

describe.each(DIALECTS)('typed Backend API client (%s)', (dialect) => {
  let server: TestServer
  let latchkey: ReturnType<typeof createLatchkeyClient>

  beforeAll(async () => {
    server = await createTestServer(dialect)
    latchkey = createLatchkeyClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  it('users: create, get, list, count, update, metadata merge, ban, verify, delete — camelCased, metadata keys untouched', async () => {
    const user = await latchkey.users.createUser({
      emailAddress: ['typed@example.com'],
      password: 'typed clients are nice',
      firstName: 'Ty',
      publicMetadata: { snake_key: 1, nested: { inner_key: true } },
    })
    expect(user.id).toMatch(/^user_/)
    expect(user.firstName).toBe('Ty')
    expect(user.emailAddresses[0]?.emailAddress).toBe('typed@example.com')
    expect(user.publicMetadata).toEqual({ snake_key: 1, nested: { inner_key: true } })

    expect((await latchkey.users.getUser(user.id)).primaryEmailAddressId).toBe(
      user.emailAddresses[0]?.id,
    )
    const list = await latchkey.users.getUserList({ emailAddress: ['typed@example.com'] })
    expect(list.totalCount).toBe(1)
    expect(list.data[0]?.id).toBe(user.id)
    expect(await latchkey.users.getCount({ query: 'typed' })).toBe(1)

    const updated = await latchkey.users.updateUser(user.id, { lastName: 'Ped', username: 'typed' })
    expect(updated.lastName).toBe('Ped')
    const merged = await latchkey.users.updateUserMetadata(user.id, {
      privateMetadata: { stripe_customer: 'cus_1' },
      publicMetadata: { snake_key: null },
    })
    expect(merged.privateMetadata).toEqual({ stripe_customer: 'cus_1' })
    expect(merged.publicMetadata).toEqual({ nested: { inner_key: true } })

    expect(
      await latchkey.users.verifyPassword({ userId: user.id, password: 'typed clients are nice' }),
    ).toMatchObject({ verified: true })
    expect((await latchkey.users.banUser(user.id)).banned).toBe(true)
    expect((await latchkey.users.unbanUser(user.id)).banned).toBe(false)
    expect(await latchkey.users.deleteUser(user.id)).toMatchObject({ id: user.id, deleted: true })
  })

  it('refusals arrive as LatchkeyAPIResponseError with Clerk codes and the parameter', async () => {
    const refused = await latchkey.users
      .createUser({ emailAddress: ['not-an-email'], password: 'whatever it is 123' })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LatchkeyAPIResponseError)
    const e = refused as LatchkeyAPIResponseError
    expect(e.status).toBe(422)
    expect(e.errors[0]?.code).toBe('form_param_format_invalid')
    expect(e.errors[0]?.meta.paramName).toMatch(/^email_address/)
    expect(e.clerkTraceId).toEqual(expect.any(String))
    const missing = await latchkey.users.getUser('user_missing').catch((x: unknown) => x)
    expect((missing as LatchkeyAPIResponseError).status).toBe(404)
    const wrongKey = createLatchkeyClient({
      secretKey: 'sk_live_wrong_key_0123456789',
      apiUrl: server.url,
    })
    const denied = await wrongKey.users.getUserList().catch((x: unknown) => x)
    expect((denied as LatchkeyAPIResponseError).status).toBe(401)
  })

  it('sessions, tokens, JWT templates and OAuth applications', async () => {
    const browser = new BrowserClient(server.url)
    const sid = await browser.signUp('sess@example.com', 'sessions are typed too')
    const sessions = await latchkey.sessions.getSessionList({ status: 'active' })
    const session = sessions.data.find((s) => s.id === sid)
    expect(session?.status).toBe('active')
    const { jwt } = await latchkey.sessions.getToken(sid)
    const claims = await verifyToken(jwt, { secretKey: server.secretKey, apiUrl: server.url })
    expect(claims.sid).toBe(sid)

    const template = await latchkey.jwtTemplates.create({
      name: 'typed',
      claims: { user_email: '{{user.primary_email_address}}' },
      lifetime: 120,
    })
    expect(template.claims).toEqual({ user_email: '{{user.primary_email_address}}' })
    expect(template.allowedClockSkew).toEqual(expect.any(Number))
    const templated = await latchkey.sessions.getToken(sid, 'typed')
    expect(decodeJwt(templated.jwt)).toMatchObject({ user_email: 'sess@example.com' })
    expect((await latchkey.jwtTemplates.list()).totalCount).toBe(1)
    await latchkey.jwtTemplates.delete(template.id)

    const app = await latchkey.oauthApplications.create({
      name: 'Typed App',
      redirectUris: ['https://typed.example/cb'],
    })
    expect(app.clientSecret).toEqual(expect.any(String))
    expect(app.redirectUris).toEqual(['https://typed.example/cb'])
    const rotated = await latchkey.oauthApplications.rotateSecret(app.id)
    expect(rotated.clientSecret).not.toBe(app.clientSecret)
    expect((await latchkey.oauthApplications.list({ nameQuery: 'typed' })).data).toHaveLength(1)

    expect((await latchkey.sessions.revokeSession(sid)).status).toBe('revoked')
  })
})
