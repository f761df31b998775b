import type { Page } from 'playwright-core'
import type { TestServer } from '../../packages/server/test/helpers/test-server.js'
import { UpstreamIdp } from '../../packages/server/test/helpers/upstream-idp.js'

/**
 * "Google" for browser tests (issue #18): a real OpenID Connect provider on loopback
 * (oidc-provider, packages/server/test/helpers/upstream-idp.ts) with a login page, and the
 * instance's `google` connection pointed at it by `issuer` — what an operator does with
 * Google's client id and secret, minus Google.
 */
export async function startUpstreamGoogle(server: Pick<TestServer, 'url' | 'secretKey'>) {
  const idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`, { loginForm: true })
  const res = await fetch(`${server.url}/v1/oauth_connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      provider: 'google',
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    }),
  })
  if (res.status !== 200) throw new Error(`oauth_connections: ${res.status} ${await res.text()}`)
  let n = 0
  return {
    idp,
    /** A new account at "Google" that asserts `email` as verified; returns its login. */
    account(email: string, claims: { email_verified?: boolean } = {}): string {
      const login = `google-account-${++n}-${email.split('@')[0]}`
      idp.accounts.set(login, {
        email,
        email_verified: claims.email_verified ?? true,
        given_name: 'Ada',
        family_name: 'Lovelace',
      })
      return login
    },
    /** The person at "Google": waits for its sign-in page, types the account, signs in. */
    async signIn(page: Page, login: string): Promise<void> {
      await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`), {
        timeout: 30_000,
      })
      await page.getByLabel('Account').fill(login)
      await page.getByRole('button', { name: 'Sign in' }).click()
    },
    close: () => idp.close(),
  }
}

export type UpstreamGoogle = Awaited<ReturnType<typeof startUpstreamGoogle>>
