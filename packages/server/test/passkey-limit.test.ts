import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'passkey limit passphrase'

// Issue #17 item 5: a user holds at most 10 passkeys (Clerk's limit). Without a bound a scripted
// authenticator could register any number, and every render of the user and every sign-in's
// options would list them all. The ceremony itself is shown in e2e/passkey-refusals.test.ts;
// here the ten are rows, as registration leaves them.
describe.each(DIALECTS)('passkeys per user (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect)
  })
  afterAll(() => server?.close())

  it('the eleventh is refused with passkey_limit_reached and nothing is written; one removed, one may be added', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const email = `limit-${dialect}@example.com`
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    await b.signIn(email, PASSWORD)
    const now = Date.now()
    await server.db.db
      .insertInto('passkeys')
      .values(
        Array.from({ length: 10 }, (_, i) => ({
          id: `pk_limit${dialect}${i}`,
          user_id: user.id,
          credential_id: `cred-${dialect}-${i}`,
          public_key: 'unused',
          counter: 0,
          transports: '[]',
          name: `Passkey ${i}`,
          backed_up: 0,
          device_type: 'singleDevice',
          verified: 1,
          last_used_at: null,
          created_at: now + i,
          updated_at: now + i,
        })),
      )
      .execute()
    const before = await server.snapshot()
    const refused = await b.post('/v1/me/passkeys')
    expect(refused.status).toBe(422)
    expect(refused.json.errors[0].code).toBe('passkey_limit_reached')
    expect(await server.snapshot()).toEqual(before)

    await clerk.users.deleteUserPasskey({
      userId: user.id,
      passkeyIdentificationId: `pk_limit${dialect}0`,
    })
    const added = await b.post('/v1/me/passkeys')
    expect(added.status).toBe(200)
    expect(added.json.response.verification.nonce).toEqual(expect.any(String))
  })
})
