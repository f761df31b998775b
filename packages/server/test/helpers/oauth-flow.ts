import * as client from 'openid-client'
import type { BrowserAgent, Page } from './browser-agent.js'
import { fetchJson } from './browser-client.js'
import type { TestServer } from './test-server.js'

export const CALLBACK = 'http://localhost:8787/callback'

/** Runs a browser through sign-in (if asked) and consent (if shown); returns the final page. */
export async function authorize(
  browser: BrowserAgent,
  url: string,
  who: { email: string; password: string },
  opts: { consent?: 'allow' | 'deny' } = {},
): Promise<Page> {
  let page = await browser.goto(url)
  if (new URL(page.url).pathname === '/sign-in') {
    page = await browser.fill(page, { identifier: who.email, password: who.password })
  }
  if (page.status === 200 && page.html.includes('wants to access your account')) {
    page = await browser.fill(page, { decision: opts.consent ?? 'allow' })
  }
  return page
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

export function bapi(server: TestServer, path: string, method = 'GET', body?: unknown) {
  return fetchJson(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

/**
 * openid-client configured the way the Backend API tells an application to: the issuer of the
 * document at the application's `discovery_url`.
 */
export async function relyingParty(
  discoveryUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<client.Configuration> {
  const doc = await fetchJson(discoveryUrl)
  return client.discovery(new URL(doc.json.issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  })
}

export type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers

/** A full authorization code flow (PKCE, state, nonce) by openid-client; the ID token verified. */
export async function codeFlow(
  config: client.Configuration,
  browser: BrowserAgent,
  who: { email: string; password: string },
  scope = 'openid profile email',
): Promise<{ tokens: Tokens; code: string }> {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  const done = await authorize(browser, url.href, who)
  const back = new URL(done.url)
  if (back.origin + back.pathname !== CALLBACK)
    throw new Error(`no code: ${done.url} ${done.status} ${done.html.slice(0, 300)}`)
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: scope.split(' ').includes('openid'),
  })
  return { tokens, code: back.searchParams.get('code') as string }
}
