import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { softAttestation } from './helpers/soft-attestation.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'passkey registration passphrase'

// MFA hardening after issue #17: a passkey's registration spent its challenge first and looked
// for a duplicate credential after, so a duplicate left the challenge used and the passkey
// unfinishable. The challenge's claim and the credential's insert are now one transaction: a
// credential registered already answers 422 and the challenge stays open for another one.
describe.each(DIALECTS)('passkey registration is one atomic write (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
    const r = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ first_factors: { passkey: true } }),
    })
    expect(r.status).toBe(200)
  })
  afterAll(() => server?.close())

  async function started() {
    const email = `pkreg-${dialect}-${++n}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    await b.signIn(email, PASSWORD)
    const made = await b.post('/v1/me/passkeys')
    expect(made.status).toBe(200)
    const { id, verification } = made.json.response
    const path = `/v1/me/passkeys/${id}/attempt_verification`
    return { b, userId: user.id, id: id as string, nonce: verification.nonce as string, path }
  }

  it("another account's credential is refused with 422, and the challenge is not spent", async () => {
    const first = await started()
    const credentialId = new Uint8Array(Buffer.from(`dup-${dialect}-credential`))
    const ok = await first.b.post(first.path, {
      public_key_credential: softAttestation(first.nonce, server.url, credentialId),
    })
    expect(ok.status).toBe(200)
    expect(ok.json.response.verification.status).toBe('verified')

    const second = await started()
    const before = await server.snapshot()
    const dup = await second.b.post(second.path, {
      public_key_credential: softAttestation(second.nonce, server.url, credentialId),
    })
    expect(dup.status).toBe(422)
    expect(dup.json.errors[0]).toMatchObject({
      code: 'verification_failed',
      long_message: 'The passkey could not be verified: this passkey is registered already.',
      meta: { param_name: 'public_key_credential' },
    })
    expect((await server.snapshot()).passkeys).toEqual(before.passkeys)
    // Not spent: the same challenge takes a new authenticator's credential.
    const shown = await second.b.get(`/v1/me/passkeys/${second.id}`)
    expect(shown.json.response.verification.status).toBe('unverified')
    const fresh = await second.b.post(second.path, {
      public_key_credential: softAttestation(second.nonce, server.url),
    })
    expect(fresh.status).toBe(200)
    expect(fresh.json.response.verification.status).toBe('verified')
    // The first account's passkey is untouched.
    const mine = await server.services.passkeys.listForUsers([first.userId])
    expect(mine.map((p) => p.credential_id)).toEqual([
      Buffer.from(credentialId).toString('base64url'),
    ])
  })

  it('a challenge answered once cannot be answered again', async () => {
    const s = await started()
    const ok = await s.b.post(s.path, {
      public_key_credential: softAttestation(s.nonce, server.url),
    })
    expect(ok.status).toBe(200)
    const again = await s.b.post(s.path, {
      public_key_credential: softAttestation(s.nonce, server.url),
    })
    expect(again.status).toBeGreaterThanOrEqual(400)
    expect(again.status).toBeLessThan(500)
    expect(await server.services.passkeys.listForUsers([s.userId])).toHaveLength(1)
  })
})
