import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../../server/test/helpers/browser-client.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../../server/test/helpers/test-server.js'
import {
  authenticateRequest,
  latchkeyExpress,
  latchkeyFastify,
  type RequestAuth,
} from '../src/index.js'

const APP = 'http://localhost:5173'

describe.each(DIALECTS)('authenticateRequest and middleware (%s)', (dialect) => {
  let server: TestServer
  let token: string
  let userId: string
  let sid: string
  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    const browser = new BrowserClient(server.url, APP)
    sid = await browser.signUp('mw@example.com', 'middleware passphrase')
    userId = (await browser.get('/v1/client')).json.response.sessions[0].user.id
    token = await browser.token(sid)
  })
  afterAll(() => server.close())
  const options = () => ({
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    authorizedParties: [APP],
  })

  it('reads a Bearer header or the __session cookie from a Fetch Request', async () => {
    const bearer = await authenticateRequest(
      new Request('http://app/x', { headers: { authorization: `Bearer ${token}` } }),
      options(),
    )
    expect(bearer).toMatchObject({ isSignedIn: true, userId, sessionId: sid })
    const cookie = await authenticateRequest(
      new Request('http://app/x', { headers: { cookie: `a=1; __session=${token}; b=2` } }),
      options(),
    )
    expect(cookie).toMatchObject({ isSignedIn: true, userId })
    expect(await authenticateRequest(new Request('http://app/x'), options())).toMatchObject({
      isSignedIn: false,
      reason: 'no-token',
    })
    const bad = await authenticateRequest(
      new Request('http://app/x', { headers: { authorization: 'Bearer a.b.c' } }),
      options(),
    )
    expect(bad).toMatchObject({ isSignedIn: false, userId: null, reason: 'token-invalid' })
    const wrongParty = await authenticateRequest(
      new Request('http://app/x', { headers: { authorization: `Bearer ${token}` } }),
      {
        ...options(),
        authorizedParties: ['https://elsewhere.example'],
      },
    )
    expect(wrongParty).toMatchObject({
      isSignedIn: false,
      reason: 'token-invalid-authorized-parties',
    })
  })

  it('Express middleware sets req.auth', async () => {
    const app = express()
    app.use(latchkeyExpress(options()))
    app.get('/me', (req, res) => {
      const auth = (req as unknown as { auth: RequestAuth }).auth
      if (!auth.isSignedIn) return void res.status(401).json({ reason: auth.reason })
      res.json({ userId: auth.userId })
    })
    const listener = app.listen(0)
    await new Promise((r) => listener.once('listening', r))
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/me`
    try {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      expect(await ok.json()).toEqual({ userId })
      const anon = await fetch(url)
      expect(anon.status).toBe(401)
      expect(await anon.json()).toEqual({ reason: 'no-token' })
    } finally {
      listener.close()
    }
  })

  it('Fastify hook sets request.auth', async () => {
    const app = Fastify()
    app.decorateRequest('auth', null)
    app.addHook('onRequest', latchkeyFastify(options()))
    app.get('/me', async (request, reply) => {
      const auth = (request as unknown as { auth: RequestAuth }).auth
      return auth.isSignedIn
        ? { userId: auth.userId }
        : reply.code(401).send({ reason: auth.reason })
    })
    const ok = await app.inject({ url: '/me', headers: { cookie: `__session=${token}` } })
    expect(ok.json()).toEqual({ userId })
    expect(
      (await app.inject({ url: '/me', headers: { authorization: 'Bearer nope' } })).statusCode,
    ).toBe(401)
    await app.close()
  })
})
