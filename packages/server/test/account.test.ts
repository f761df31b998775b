import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:5173'
const PASSWORD = 'account page passphrase'

/**
 * What the prebuilt user profile and the hosted pages stand on: Clerk's `/v1/me` routes, the
 * instance's paths, the hosted /sign-up and /user, and the served browser build.
 */
describe.each(DIALECTS)('account routes, paths and hosted pages (%s)', (dialect) => {
  let server: TestServer
  const bapi = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetchJson(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    })

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  describe('/v1/me', () => {
    let laptop: BrowserClient
    let phone: BrowserClient
    let laptopSession: string
    let phoneSession: string

    beforeAll(async () => {
      laptop = new BrowserClient(server.url, APP)
      laptopSession = await laptop.signUp('me@example.com', PASSWORD, { first_name: 'Mia' })
      phone = new BrowserClient(server.url, APP)
      phoneSession = await phone.signIn('me@example.com', PASSWORD)
    })

    it('reads the signed-in user without private metadata, and is 401 when signed out', async () => {
      const me = await laptop.get('/v1/me')
      expect(me.status).toBe(200)
      expect(me.headers.get('access-control-allow-origin')).toBe(APP)
      expect(me.json.response).toMatchObject({ object: 'user', first_name: 'Mia' })
      expect(me.json.response).not.toHaveProperty('private_metadata')
      expect(me.json.client.last_active_session_id).toBe(laptopSession)
      const stranger = await new BrowserClient(server.url, APP).get('/v1/me')
      expect(stranger.status).toBe(401)
      expect(stranger.json.errors[0].code).toBe('signed_out')
    })

    it('updates the name (empty clears it) through ?_method=PATCH; bad input changes nothing', async () => {
      const ok = await laptop.post('/v1/me?_method=PATCH', { first_name: 'Maria', last_name: '' })
      expect(ok.status).toBe(200)
      expect(ok.json.response).toMatchObject({ first_name: 'Maria', last_name: null })
      const bad = await laptop.post('/v1/me?_method=PATCH', { username: 'no spaces allowed' })
      expect(bad.status).toBe(422)
      expect(bad.json.errors[0].meta.param_name).toBe('username')
      const after = await laptop.get('/v1/me')
      expect(after.json.response.username).toBeNull()
      expect(after.json.response.first_name).toBe('Maria')
    })

    it('a session id of another browser is not usable as _clerk_session_id', async () => {
      const r = await laptop.get(`/v1/me?_clerk_session_id=${phoneSession}`)
      expect(r.status).toBe(404)
    })

    it('lists the user’s active sessions on every device, most recent first', async () => {
      const r = await laptop.get('/v1/me/sessions/active')
      expect(r.status).toBe(200)
      expect(Array.isArray(r.json)).toBe(true)
      expect(r.json.map((s: { id: string }) => s.id).sort()).toEqual(
        [laptopSession, phoneSession].sort(),
      )
      expect(r.json[0]).toMatchObject({ object: 'session', status: 'active' })
      expect(r.json[0].latest_activity).toMatchObject({ object: 'session_activity' })
      // The device a session started on: parsed from its User-Agent, with the client IP.
      const firefox = new BrowserClient(server.url, APP, {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      })
      const firefoxSession = await firefox.signIn('me@example.com', PASSWORD)
      const listed = (await laptop.get('/v1/me/sessions/active')).json.find(
        (s: { id: string }) => s.id === firefoxSession,
      )
      expect(listed.latest_activity).toMatchObject({
        browser_name: 'Firefox',
        browser_version: '133',
        device_type: 'Linux',
        is_mobile: false,
        ip_address: '127.0.0.1',
      })
      await laptop.post(`/v1/me/sessions/${firefoxSession}/revoke`)
    })

    it('refuses a wrong current password (counted toward lockout) and a breached new one', async () => {
      const wrong = await laptop.post('/v1/me/change_password', {
        current_password: 'not it at all',
        new_password: 'a fine new passphrase',
      })
      expect(wrong.status).toBe(422)
      expect(wrong.json.errors[0]).toMatchObject({
        code: 'form_password_validation_failed',
        meta: { param_name: 'current_password' },
      })
      const missing = await laptop.post('/v1/me/change_password', {
        new_password: 'a fine new passphrase',
      })
      expect(missing.json.errors[0].meta.param_name).toBe('current_password')
      const pwned = await laptop.post('/v1/me/change_password', {
        current_password: PASSWORD,
        new_password: 'password',
      })
      expect(pwned.status).toBe(422)
      expect(pwned.json.errors[0]).toMatchObject({
        code: 'form_password_pwned',
        meta: { param_name: 'new_password' },
      })
      // Nothing changed: the old password still signs in.
      expect(await new BrowserClient(server.url, APP).signIn('me@example.com', PASSWORD)).toMatch(
        /^sess_/,
      )
    })

    it('changes the password and signs out the other devices, keeping this one', async () => {
      const r = await laptop.post('/v1/me/change_password', {
        current_password: PASSWORD,
        new_password: 'the second passphrase',
        sign_out_of_other_sessions: 'true',
      })
      expect(r.status).toBe(200)
      expect((await phone.post(`/v1/client/sessions/${phoneSession}/tokens`)).status).toBe(401)
      expect(await laptop.token(laptopSession)).toMatch(/^ey/)
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      const userId = (await laptop.get('/v1/me')).json.response.id
      expect(
        (await clerk.users.verifyPassword({ userId, password: 'the second passphrase' })).verified,
      ).toBe(true)
    })

    it('revokes another session of the same user, but never someone else’s', async () => {
      const phone2 = new BrowserClient(server.url, APP)
      const phone2Session = await phone2.signIn('me@example.com', 'the second passphrase')
      const other = new BrowserClient(server.url, APP)
      const otherSession = await other.signUp('other@example.com', PASSWORD)

      const foreign = await laptop.post(`/v1/me/sessions/${otherSession}/revoke`)
      expect(foreign.status).toBe(404)
      expect(await other.token(otherSession)).toMatch(/^ey/)

      const r = await laptop.post(`/v1/me/sessions/${phone2Session}/revoke`)
      expect(r.status).toBe(200)
      expect(r.json.response).toMatchObject({ id: phone2Session, status: 'revoked' })
      expect((await phone2.post(`/v1/client/sessions/${phone2Session}/tokens`)).status).toBe(401)
      const active = await laptop.get('/v1/me/sessions/active')
      expect(active.json.map((s: { id: string }) => s.id)).toEqual([laptopSession])
    })

    it('touch makes a session the browser’s active one (setActive)', async () => {
      const b = new BrowserClient(server.url, APP)
      const first = await b.signUp('two@example.com', PASSWORD)
      const second = await b.signIn('two@example.com', PASSWORD)
      expect((await b.get('/v1/client')).json.response.last_active_session_id).toBe(second)
      const t = await b.post(`/v1/client/sessions/${first}/touch`)
      expect(t.json.client.last_active_session_id).toBe(first)
    })
  })

  describe('instance paths', () => {
    it('defaults to the hosted pages and is changed through the Backend API', async () => {
      const initial = await bapi('/v1/instance/paths')
      expect(initial.json).toEqual({
        object: 'instance_paths',
        home_url: server.url,
        sign_in_url: `${server.url}/sign-in`,
        sign_up_url: `${server.url}/sign-up`,
        user_profile_url: `${server.url}/user`,
        after_sign_in_url: server.url,
        after_sign_up_url: server.url,
        after_sign_out_url: `${server.url}/sign-in`,
      })
      const patched = await bapi('/v1/instance/paths', {
        method: 'PATCH',
        body: {
          sign_in_url: `${APP}/login`,
          after_sign_in_url: `${APP}/dashboard`,
          after_sign_up_url: `${APP}/welcome`,
        },
      })
      expect(patched.status).toBe(200)
      expect(patched.json).toMatchObject({
        sign_in_url: `${APP}/login`,
        after_sign_in_url: `${APP}/dashboard`,
        after_sign_out_url: `${APP}/login`,
      })
      const env = await new BrowserClient(server.url, APP).get('/v1/environment')
      expect(env.json.display_config).toMatchObject({
        sign_in_url: `${APP}/login`,
        sign_up_url: `${server.url}/sign-up`,
        after_sign_in_url: `${APP}/dashboard`,
        after_sign_up_url: `${APP}/welcome`,
      })
    })

    it('refuses a URL on an origin that is not allowed, or not http(s), and changes nothing', async () => {
      const before = await bapi('/v1/instance/paths')
      for (const body of [
        { after_sign_in_url: 'https://evil.example/steal' },
        { sign_in_url: 'javascript:alert(1)' },
        { sign_in_url: '/relative' },
        { unknown_url: `${APP}/x` },
      ]) {
        const r = await bapi('/v1/instance/paths', { method: 'PATCH', body })
        expect(r.status, JSON.stringify(body)).toBe(422)
        expect(r.json.errors[0].meta.param_name).toBeTruthy()
      }
      expect((await bapi('/v1/instance/paths')).json).toEqual(before.json)
    })

    it('the application name the UI shows is set through PATCH /v1/instance', async () => {
      const env = () => new BrowserClient(server.url, APP).get('/v1/environment')
      expect((await env()).json.display_config.application_name).toBe('Latchkey')
      const ok = await bapi('/v1/instance', {
        method: 'PATCH',
        body: { application_name: 'Acme Notes' },
      })
      expect(ok.status).toBe(204)
      expect((await env()).json.display_config.application_name).toBe('Acme Notes')
      expect((await bapi('/v1/instance')).json.application_name).toBe('Acme Notes')
      for (const bad of ['', '   ', 'a\u0000b', 'x'.repeat(300)]) {
        const r = await bapi('/v1/instance', { method: 'PATCH', body: { application_name: bad } })
        expect(r.status, JSON.stringify(bad)).toBe(422)
      }
      expect((await env()).json.display_config.application_name).toBe('Acme Notes')
    })

    it('null restores a default', async () => {
      const r = await bapi('/v1/instance/paths', {
        method: 'PATCH',
        body: { sign_in_url: null, after_sign_in_url: null, after_sign_up_url: null },
      })
      expect(r.json.sign_in_url).toBe(`${server.url}/sign-in`)
      expect(r.json.after_sign_in_url).toBe(server.url)
    })
  })

  describe('hosted pages and the browser build', () => {
    it('serves the browser build with an ETag, cacheable, loadable from any origin', async () => {
      const res = await fetch(`${server.url}/npm/@latchkey/js/dist/latchkey.browser.js`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
      const code = await res.text()
      expect(code).toContain('window.Latchkey')
      expect(code.length).toBeLessThan(120_000)
      const etag = res.headers.get('etag') as string
      const again = await fetch(`${server.url}/npm/@latchkey/js/dist/latchkey.browser.js`, {
        headers: { 'if-none-match': etag },
      })
      expect(again.status).toBe(304)
    })

    it('the hosted pages load the bundle under a CSP that allows only this server’s scripts', async () => {
      for (const path of ['/sign-in', '/sign-up', '/user']) {
        const res = await fetch(`${server.url}${path}`)
        expect(res.status, path).toBe(200)
        const csp = res.headers.get('content-security-policy') ?? ''
        expect(csp).toContain("script-src 'self'")
        expect(csp).toContain("frame-ancestors 'none'")
        const html = await res.text()
        expect(html).toContain(
          `<script src="/npm/@latchkey/js/dist/latchkey.browser.js" data-publishable-key="${server.publishableKey}" defer>`,
        )
      }
    })

    it('hosted /sign-up works without JavaScript: errors re-render the form, success redirects', async () => {
      const agent = new BrowserAgent(server.url)
      const form = await agent.goto(`/sign-up?redirect_url=${encodeURIComponent(`${APP}/app`)}`)
      expect(form.html).toContain('<label for="email_address">Email address</label>')
      expect(form.html).toContain(`value="${APP}/app"`)
      const weak = await agent.fill(form, {
        email_address: 'hosted@example.com',
        password: 'short',
      })
      expect(weak.status).toBe(422)
      expect(weak.html).toContain('Passwords must be 8 characters or more.')
      expect(weak.html).toContain('value="hosted@example.com"')
      const done = await agent.fill(weak, {
        email_address: 'hosted@example.com',
        password: PASSWORD,
      })
      expect(done.url).toBe(`${APP}/app`)
      expect(agent.hasCookie('__client')).toBe(true)
    })

    it('never redirects to an origin that is not allowed', async () => {
      const agent = new BrowserAgent(server.url)
      const page = await agent.goto(
        `/sign-up?redirect_url=${encodeURIComponent('https://evil.example/x')}`,
      )
      expect(page.html).not.toContain('evil.example')
      const done = await agent.fill(page, {
        email_address: 'evil-target@example.com',
        password: PASSWORD,
        redirect_url: 'https://evil.example/x',
      })
      expect(done.status).toBe(200)
      expect(done.html).toContain('You are signed in')
    })
  })
})
