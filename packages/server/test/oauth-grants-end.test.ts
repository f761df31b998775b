import { createClerkClient } from '@clerk/backend'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { bapi, CALLBACK, codeFlow, relyingParty, type Tokens } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

type Clerk = ReturnType<typeof createClerkClient>

/**
 * Security issue, item 2: locking a user, and a password change that signs out the other
 * devices, end the user's OAuth grants as a ban does: userinfo answers 401 and refresh tokens
 * mint nothing more, ID tokens included.
 */
describe.each(DIALECTS)('ending a user’s OAuth grants (%s)', (dialect) => {
  let server: TestServer
  let clerk: Clerk
  let config: client.Configuration
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const app = await clerk.oauthApplications.create({
      name: 'Grant Holder',
      redirectUris: [CALLBACK],
      scopes: 'profile email',
    })
    config = await relyingParty(
      app.discoveryUrl,
      app.clientId,
      (app as unknown as { clientSecret: string }).clientSecret,
    )
  })
  afterAll(() => server.close())

  /** A new user who signed in to the application; its tokens still work (refreshed once). */
  async function grantedUser() {
    n += 1
    const who = { email: `grant${n}@example.com`, password: `a long passphrase ${n}` }
    const user = await clerk.users.createUser({
      emailAddress: [who.email],
      password: who.password,
    })
    const { tokens } = await codeFlow(config, new BrowserAgent(server.url), who)
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(refreshed.claims()?.sub).toBe(user.id)
    expect((await userinfo(refreshed)).status).toBe(200)
    return { who, userId: user.id, tokens: refreshed }
  }

  const userinfo = (t: Tokens) =>
    fetchJson(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${t.access_token}` },
    })

  /** The grant is over: the access token is refused, and so is the refresh token. */
  async function expectEnded(t: Tokens) {
    const info = await userinfo(t)
    expect(info.status).toBe(401)
    expect(info.json.error).toBe('invalid_token')
    const refused = await client.refreshTokenGrant(config, t.refresh_token as string).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(client.ResponseBodyError)
    expect((refused as client.ResponseBodyError).error).toBe('invalid_grant')
  }

  const storedFor = async (userId: string) =>
    (
      await server.db.db
        .selectFrom('oidc_models')
        .select('kind')
        .where('account_id', '=', userId)
        .execute()
    ).map((r) => r.kind)

  it('locking the user ends them, and unlocking does not bring them back', async () => {
    const { userId, tokens } = await grantedUser()
    expect(await storedFor(userId)).toEqual(expect.arrayContaining(['Grant', 'RefreshToken']))
    await clerk.users.lockUser(userId)
    await expectEnded(tokens)
    expect(await storedFor(userId)).toEqual([])
    await clerk.users.unlockUser(userId)
    await expectEnded(tokens)
  })

  it('a ban ends them for good too (unban does not bring them back)', async () => {
    const { userId, tokens } = await grantedUser()
    await clerk.users.banUser(userId)
    await expectEnded(tokens)
    await clerk.users.unbanUser(userId)
    await expectEnded(tokens)
  })

  it('a Backend API password change with sign_out_of_other_sessions ends them; without, they live', async () => {
    const { userId, tokens } = await grantedUser()
    const keep = await bapi(server, `/v1/users/${userId}`, 'PATCH', {
      password: 'the next passphrase 1',
    })
    expect(keep.status).toBe(200)
    const still = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(still.claims()?.sub).toBe(userId)
    const end = await bapi(server, `/v1/users/${userId}`, 'PATCH', {
      password: 'the next passphrase 2',
      sign_out_of_other_sessions: true,
    })
    expect(end.status).toBe(200)
    await expectEnded(still)
  })

  it('a Frontend API password change with sign_out_of_other_sessions ends them; this device stays signed in', async () => {
    const { who, userId, tokens } = await grantedUser()
    const browser = new BrowserClient(server.url, server.url)
    const sessionId = await browser.signIn(who.email, who.password)
    const keep = await browser.post('/v1/me/change_password', {
      current_password: who.password,
      new_password: 'the second passphrase a',
    })
    expect(keep.status).toBe(200)
    const still = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(still.claims()?.sub).toBe(userId)
    const end = await browser.post('/v1/me/change_password', {
      current_password: 'the second passphrase a',
      new_password: 'the second passphrase b',
      sign_out_of_other_sessions: 'true',
    })
    expect(end.status).toBe(200)
    await expectEnded(still)
    expect(await browser.token(sessionId)).toMatch(/^ey/)
  })

  it('deleting the user removes what oidc-provider stored for them', async () => {
    const { userId, tokens } = await grantedUser()
    await clerk.users.deleteUser(userId)
    await expectEnded(tokens)
    expect(await storedFor(userId)).toEqual([])
  })
})
