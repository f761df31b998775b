import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: Clerk's UserProfile deletes the account with `DELETE /v1/me` (when the instance's
// `delete_self_enabled` allows it) and merges unsafe metadata with `PATCH /v1/me/metadata`.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

describe.each(DIALECTS)('the user deletes their own account (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  const setDeleteSelf = (value: boolean) =>
    fetch(`${server.url}/v1/instance`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ delete_self_enabled: value }),
    })

  it('ends every session of the account and signs this browser out', async () => {
    const laptop = new BrowserClient(server.url, APP)
    const laptopSession = await laptop.signUp('gone@example.com', PASSWORD)
    const phone = new BrowserClient(server.url, APP)
    const phoneSession = await phone.signIn('gone@example.com', PASSWORD)
    const userId = (await laptop.get('/v1/me')).json.response.id
    expect((await laptop.get('/v1/me')).json.response.delete_self_enabled).toBe(true)

    const r = await laptop.post('/v1/me?_method=DELETE')
    expect(r.status).toBe(200)
    expect(r.json.response).toEqual({ object: 'user', id: userId, deleted: true })
    expect(specErrors('Client.ClientWrappedDeletedObject', r.json)).toEqual([])
    expect(r.json.client.sessions).toEqual([])
    expect(r.json.client.last_active_session_id).toBeNull()

    expect((await laptop.get('/v1/me')).status).toBe(401)
    expect((await laptop.post(`/v1/client/sessions/${laptopSession}/tokens`)).status).toBe(404)
    expect((await phone.get('/v1/client')).json.response.sessions).toEqual([])
    expect((await phone.post(`/v1/client/sessions/${phoneSession}/tokens`)).status).toBe(404)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await expect(clerk.users.getUser(userId)).rejects.toMatchObject({ status: 404 })
    expect(
      (await laptop.post('/v1/client/sign_ins', { identifier: 'gone@example.com' })).status,
    ).toBe(422)
  })

  it('is refused (403) when the instance does not allow it, and the account stays', async () => {
    const browser = new BrowserClient(server.url, APP)
    await browser.signUp('stays@example.com', PASSWORD)
    expect((await setDeleteSelf(false)).status).toBe(204)
    try {
      expect((await browser.get('/v1/me')).json.response.delete_self_enabled).toBe(false)
      const before = await server.snapshot()
      const r = await browser.post('/v1/me?_method=DELETE')
      expect(r.status).toBe(403)
      expect(r.json.errors[0].code).toBe('delete_self_not_enabled')
      expect(await server.snapshot()).toEqual(before)
      expect((await browser.get('/v1/me')).status).toBe(200)
    } finally {
      await setDeleteSelf(true)
    }
  })

  it('is refused when signed out', async () => {
    const r = await new BrowserClient(server.url, APP).post('/v1/me?_method=DELETE')
    expect(r.status).toBe(401)
  })

  it('PATCH /v1/me/metadata deep-merges unsafe metadata; null removes a key', async () => {
    const browser = new BrowserClient(server.url, APP)
    await browser.signUp('meta@example.com', PASSWORD, {
      unsafe_metadata: JSON.stringify({ theme: 'dark', prefs: { a: 1, b: 2 } }),
    })
    const r = await browser.post('/v1/me/metadata?_method=PATCH', {
      unsafe_metadata: JSON.stringify({ prefs: { b: null, c: 3 }, lang: 'fr' }),
    })
    expect(r.status).toBe(200)
    expect(r.json.response.unsafe_metadata).toEqual({
      theme: 'dark',
      prefs: { a: 1, c: 3 },
      lang: 'fr',
    })
    const bad = await browser.post('/v1/me/metadata?_method=PATCH', { unsafe_metadata: '[1]' })
    expect(bad.status).toBe(422)
  })
})
