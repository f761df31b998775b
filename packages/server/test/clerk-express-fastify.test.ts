import type { AddressInfo } from 'node:net'
import { clerkMiddleware, getAuth as getExpressAuth, requireAuth } from '@clerk/express'
import { clerkPlugin, getAuth as getFastifyAuth } from '@clerk/fastify'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { SiteBrowser } from './helpers/site-browser.js'
import { createTestServer, DIALECTS, freePort, type TestServer } from './helpers/test-server.js'

/**
 * `@clerk/express` and `@clerk/fastify`, unchanged, against Latchkey (issue #15): the only
 * settings are what Clerk documents (publishable key, secret key, API URL, proxy URL), given here
 * as options because each dialect runs its own server; the environment variables of the same
 * names do the same (docs/move-from-clerk-server.md).
 */
type App = { name: string; url: string; close(): Promise<void> }

async function expressApp(port: number, opts: Record<string, unknown>): Promise<App> {
  // @clerk/express redeems the handshake nonce with a client built from CLERK_SECRET_KEY: a
  // `secretKey` option alone does not reach it, so Clerk's documented variable is the setting.
  process.env.CLERK_SECRET_KEY = String(opts.secretKey)
  const app = express()
  app.use(clerkMiddleware(opts))
  app.get('/api/me', (req, res) => {
    const { userId, sessionId } = getExpressAuth(req)
    res.json({ userId, sessionId })
  })
  app.get('/protected', requireAuth({ signInUrl: '/sign-in' }), (req, res) => {
    res.json({ userId: getExpressAuth(req).userId })
  })
  const srv = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
  return {
    name: 'express',
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  }
}

async function fastifyApp(port: number, opts: Record<string, unknown>): Promise<App> {
  const app: FastifyInstance = Fastify()
  await app.register(clerkPlugin, opts)
  app.get('/api/me', async (req) => {
    const { userId, sessionId } = getFastifyAuth(req)
    return { userId, sessionId }
  })
  app.get('/protected', async (req, reply) => {
    const { userId } = getFastifyAuth(req)
    if (!userId) return reply.code(401).send({ error: 'unauthenticated' })
    return { userId }
  })
  await app.listen({ port, host: '127.0.0.1' })
  return { name: 'fastify', url: `http://127.0.0.1:${port}`, close: () => app.close() }
}

describe.each(DIALECTS)('@clerk/express and @clerk/fastify against Latchkey (%s)', (dialect) => {
  let server: TestServer
  const apps: App[] = []

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()]
    const origins = ports.map((p) => `http://127.0.0.1:${p}`)
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: origins.join(',') },
    })
    const opts = {
      publishableKey: server.publishableKey,
      secretKey: server.secretKey,
      apiUrl: server.url,
      // Latchkey is on plain http here: an absolute proxyUrl names it (the SDKs' default for the
      // publishable key's host is https).
      proxyUrl: server.url,
    }
    apps.push(
      await expressApp(ports[0] ?? 0, { ...opts, authorizedParties: [origins[0]] }),
      await fastifyApp(ports[1] ?? 0, { ...opts, authorizedParties: [origins[1]] }),
    )
  })
  afterAll(async () => {
    for (const a of apps) await a.close()
    await server.close()
  })

  const each = (title: string, fn: (app: App) => Promise<void>) =>
    it.each(['express', 'fastify'])(`%s: ${title}`, async (name) => {
      const app = apps.find((a) => a.name === name)
      if (!app) throw new Error(`no ${name} app`)
      await fn(app)
    })

  async function signedIn(app: App, email: string) {
    const fapi = new BrowserClient(server.url, app.url)
    const sessionId = await fapi.signUp(email, 'correct horse battery staple')
    const me = (await fapi.get('/v1/me')).json
    return { fapi, sessionId, userId: me.response.id as string }
  }

  const me = async (app: App, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/api/me`, { headers })
    return { status: res.status, json: (await res.json()) as Json }
  }

  each('a session token from a real sign-in authenticates (header and cookie)', async (app) => {
    const { fapi, sessionId, userId } = await signedIn(app, `${app.name}-in@example.com`)
    const token = await fapi.token(sessionId)
    expect(await me(app, { authorization: `Bearer ${token}` })).toEqual({
      status: 200,
      json: { userId, sessionId },
    })
    const uat = fapi.cookies.get('__client_uat') ?? ''
    expect(await me(app, { cookie: `__session=${token}; __client_uat=${uat}` })).toEqual({
      status: 200,
      json: { userId, sessionId },
    })
    const ok = await fetch(`${app.url}/protected`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as Json).userId).toBe(userId)
  })

  each('a signed-out request is not authenticated', async (app) => {
    expect(await me(app)).toEqual({ status: 200, json: { userId: null, sessionId: null } })
    const res = await fetch(`${app.url}/protected`, { redirect: 'manual' })
    // requireAuth redirects to the sign-in URL; the Fastify route answers 401 itself.
    if (app.name === 'express') {
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe('/sign-in')
    } else expect(res.status).toBe(401)
  })

  each('an expired, a forged and a foreign-origin token are refused', async (app) => {
    const { fapi, sessionId } = await signedIn(app, `${app.name}-bad@example.com`)
    const clock = server.clock
    if (!('advance' in clock)) throw new Error('needs the fake clock')
    clock.advance(-120_000)
    const expired = await fapi.token(sessionId).finally(() => clock.advance(120_000))
    expect((await me(app, { authorization: `Bearer ${expired}` })).json.userId).toBeNull()

    // The real claims and kid, signed by a key that is not Latchkey's.
    const real = await fapi.token(sessionId)
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 })
    const forged = await new SignJWT(decodeJwt(real))
      .setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(real).kid ?? '', typ: 'JWT' })
      .sign(privateKey)
    expect((await me(app, { authorization: `Bearer ${forged}` })).json.userId).toBeNull()

    // A real token minted for the other app (its azp) is not for this one.
    const otherApp = apps.find((a) => a !== app)?.url ?? ''
    const other = new BrowserClient(server.url, otherApp)
    other.cookies = fapi.cookies
    const foreign = await other.token(sessionId)
    expect(decodeJwt(foreign).azp).toBe(otherApp)
    expect((await me(app, { authorization: `Bearer ${foreign}` })).json.userId).toBeNull()
  })

  each('a browser with __client_uat and no __session goes through the handshake', async (app) => {
    const { fapi, sessionId, userId } = await signedIn(app, `${app.name}-hs@example.com`)
    const site = new SiteBrowser()
    site.jars.set(new URL(server.url).host, fapi.cookies)
    site.setCookie(app.url, '__client_uat', fapi.cookies.get('__client_uat') ?? '')

    const { res, visited } = await site.navigate(`${app.url}/api/me`)
    expect(visited.map((u) => new URL(u).origin + new URL(u).pathname)).toEqual([
      `${app.url}/api/me`,
      `${server.url}/v1/client/handshake`,
      `${app.url}/api/me`,
    ])
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ userId, sessionId })
    expect(site.cookie(app.url, '__session')).toMatch(/^ey/)
    // The cookies it set are enough from now on: no further redirect.
    const again = await site.navigate(`${app.url}/api/me`)
    expect(again.visited).toHaveLength(1)
    expect(await again.res.json()).toEqual({ userId, sessionId })
  })
})
