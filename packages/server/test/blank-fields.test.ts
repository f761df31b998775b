import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: Clerk's sign-up form sends every field the environment enables, the ones it does
// not show as empty strings (`username=&first_name=&last_name=`). Those are "not given"; a
// blank value where one is needed is still refused, and changes nothing.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

describe.each(DIALECTS)('blank form fields (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  it("signs up with the empty fields Clerk's form sends for fields it does not show", async () => {
    const browser = new BrowserClient(server.url, APP)
    const r = await browser.post('/v1/client/sign_ups', {
      email_address: 'ada@example.com',
      password: PASSWORD,
      username: '',
      first_name: '',
      last_name: '',
      unsafe_metadata: '',
    })
    expect(r.status).toBe(200)
    expect(r.json.response).toMatchObject({
      status: 'complete',
      username: null,
      first_name: null,
      last_name: null,
    })
    const user = r.json.client.sessions[0].user
    expect(user).toMatchObject({ username: null, first_name: null, last_name: null })
    expect(user.unsafe_metadata).toEqual({})
  })

  it('refuses a blank email address as missing and a blank password as too short, writing nothing', async () => {
    const browser = new BrowserClient(server.url, APP)
    const before = await server.snapshot()
    const noEmail = await browser.post('/v1/client/sign_ups', {
      email_address: '',
      password: PASSWORD,
      username: '',
    })
    expect(noEmail.status).toBe(422)
    expect(noEmail.json.errors[0]).toMatchObject({
      code: 'form_param_missing',
      meta: { param_name: 'email_address' },
    })
    const noPassword = await browser.post('/v1/client/sign_ups', {
      email_address: 'blank@example.com',
      password: '',
      first_name: '',
    })
    expect(noPassword.status).toBe(422)
    expect(noPassword.json.errors[0].code).toBe('form_password_length_too_short')
    const badUsername = await browser.post('/v1/client/sign_ups', {
      email_address: 'blank@example.com',
      password: PASSWORD,
      username: 'no spaces',
    })
    expect(badUsername.status).toBe(422)
    expect(badUsername.json.errors[0].meta.param_name).toBe('username')
    expect(await server.snapshot()).toEqual(before)
  })

  it('refuses a blank sign-in identifier, naming it', async () => {
    const browser = new BrowserClient(server.url, APP)
    const before = await server.snapshot()
    const r = await browser.post('/v1/client/sign_ins', {
      identifier: '',
      password: PASSWORD,
      strategy: 'password',
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('identifier')
    expect(await server.snapshot()).toEqual(before)
  })

  it('clears a username emptied in the profile, unless it is the only way to sign in', async () => {
    const browser = new BrowserClient(server.url, APP)
    await browser.signUp('lin@example.com', PASSWORD, { username: 'lin' })
    const cleared = await browser.post('/v1/me?_method=PATCH', { username: '', first_name: '' })
    expect(cleared.status).toBe(200)
    expect(cleared.json.response).toMatchObject({ username: null, first_name: null })

    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ username: 'only_username', password: PASSWORD })
    const onlyName = new BrowserClient(server.url, APP)
    await onlyName.signIn('only_username', PASSWORD)
    const refused = await onlyName.post('/v1/me?_method=PATCH', { username: '' })
    expect(refused.status).toBe(422)
    expect(refused.json.errors[0]).toMatchObject({
      code: 'form_param_nil',
      meta: { param_name: 'username' },
    })
    expect((await onlyName.get('/v1/me')).json.response.username).toBe('only_username')
  })
})
