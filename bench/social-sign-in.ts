import { createServer, type Server } from 'node:http'
import Provider from 'oidc-provider'
import { post } from './verified-sign-up.js'

/*
 * Item 11's load (issue #21 item 6, a social sign-in callback): a browser's whole "Continue with
 * <provider>" through the Frontend API against a real OpenID Connect provider on loopback
 * (oidc-provider, as the server's tests use it in test/helpers/upstream-idp.ts): start the
 * sign-in, follow `external_verification_redirect_url` through the provider's authorize,
 * login and consent (scripted, no page), and follow its redirect to Latchkey's callback, which
 * exchanges the code, verifies the RS256 ID token, reads userinfo and signs the user in. A pool
 * of users, one per flow in flight, each linked by a first sign-up before the load: the load is
 * sign-ins of existing users, `concurrency` flows at every moment.
 */

export const PROVIDER = 'custom_bench'
const STRATEGY = `oauth_${PROVIDER}`

/**
 * The upstream provider: the tests' helper with the one change a concurrent load needs. The
 * helper signs in as one `signInAs` shared by every interaction; here each browser names its
 * account in a header on its requests to the provider (the person typing their login), so
 * sixteen flows in flight sign in as sixteen accounts.
 */
export async function startUpstream(callbackUrl: string) {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = addr && typeof addr === 'object' ? addr.port : 0
  const issuer = `http://127.0.0.1:${port}`
  const clientId = 'latchkey-bench'
  const clientSecret = 'upstream-client-secret-0123456789abcdef'
  const accounts = new Map<string, { email: string; email_verified: boolean }>()
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callbackUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
    },
    findAccount: (_ctx, id) => {
      const claims = accounts.get(id)
      return claims
        ? {
            accountId: id,
            claims: () => ({ sub: id, given_name: 'Ada', family_name: 'Lovelace', ...claims }),
          }
        : undefined
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['upstream-idp-bench-cookie-key'] },
  })
  const callback = provider.callback()
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res)
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      if (details.prompt.name === 'login') {
        const accountId = String(req.headers['x-upstream-account'] ?? '')
        await provider.interactionFinished(req, res, { login: { accountId } })
        return
      }
      const accountId = details.session?.accountId ?? ''
      const grant = new provider.Grant({ accountId, clientId })
      const missing = details.prompt.details as {
        missingOIDCScope?: string[]
        missingOIDCClaims?: string[]
      }
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      const grantId = await grant.save()
      await provider.interactionFinished(req, res, { consent: { grantId } })
    })().catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type Upstream = Awaited<ReturnType<typeof startUpstream>>

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
function keepCookies(jar: Map<string, string>, res: Response) {
  for (const c of res.headers.getSetCookie()) {
    const [k, ...v] = (c.split(';')[0] ?? '').split('=')
    if (k) jar.set(k, v.join('='))
  }
}

const STEPS = ['start', 'upstream', 'callback'] as const
type Step = (typeof STEPS)[number]

type Flow = { times: Record<Step, number>; location: string; jar: Map<string, string> }

/**
 * One browser, one flow: `start` is POST /v1/client/sign_ins; `upstream` is the provider's
 * authorize, login and consent redirects until it sends the browser to Latchkey's callback
 * (all of it in this process); `callback` is the GET of Latchkey's callback alone.
 */
async function flow(url: string, account: string): Promise<Flow> {
  const at = [performance.now()]
  const jar = new Map<string, string>()
  const started = await post<{
    first_factor_verification?: { external_verification_redirect_url?: string }
  }>(url, '/v1/client/sign_ins', jar, {
    strategy: STRATEGY,
    redirect_url: `${url}/sso-callback`,
    action_complete_redirect_url: `${url}/done`,
  })
  at.push(performance.now())
  let next = started.first_factor_verification?.external_verification_redirect_url
  if (!next) throw new Error('no external_verification_redirect_url')
  const idpJar = new Map<string, string>()
  for (let hops = 0; !next.startsWith(url); hops++) {
    if (hops > 10) throw new Error(`the provider never redirected back: ${next}`)
    const headers: Record<string, string> = { 'x-upstream-account': account }
    if (idpJar.size > 0) headers.cookie = cookieHeader(idpJar)
    const res: Response = await fetch(next, { headers, redirect: 'manual' })
    keepCookies(idpJar, res)
    await res.arrayBuffer()
    const location = res.headers.get('location')
    if (!location) throw new Error(`provider answered ${res.status} at ${next}`)
    next = new URL(location, next).href
  }
  at.push(performance.now())
  const res = await fetch(next, { headers: { cookie: cookieHeader(jar) }, redirect: 'manual' })
  keepCookies(jar, res)
  await res.arrayBuffer()
  at.push(performance.now())
  const step = (i: number) => (at[i + 1] ?? 0) - (at[i] ?? 0)
  return {
    times: { start: step(0), upstream: step(1), callback: step(2) },
    location: res.headers.get('location') ?? `(${res.status}, no location)`,
    jar,
  }
}

/**
 * `n` accounts at the provider, each signed up once through it (the callback answers a
 * transferable sign-in, then POST /v1/client/sign_ups { transfer }): the users the load signs in.
 */
export async function linkUsers(url: string, up: Upstream, n: number, tag: string) {
  const subs: string[] = []
  for (let i = 0; i < n; i++) {
    const sub = `bench-${tag}-${i}`
    up.accounts.set(sub, { email: `social-${tag}-${i}@example.com`, email_verified: true })
    const f = await flow(url, sub)
    if (f.location !== `${url}/sso-callback`)
      throw new Error(`first sign-in ended at ${f.location}`)
    const made = await post<{ status?: string }>(url, '/v1/client/sign_ups', f.jar, {
      transfer: 'true',
    })
    if (made.status !== 'complete') throw new Error(`transfer sign-up is ${made.status}`)
    subs.push(sub)
  }
  return subs
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0

export type SocialLoad = {
  rate: number
  p50: number
  p99: number
  steps: Record<Step, { p50: number; p99: number }>
  completed: number
  errors: number
  firstError: string | undefined
}

/**
 * One browser per linked user, each signing in again and again for `seconds` (so no two flows
 * of one user are in flight). A flow counts when the callback sends the browser to
 * `action_complete_redirect_url`: the sign-in complete, a session made. Flows started in the
 * window are waited for, and the rate is over the time taken.
 */
export async function socialSignInLoad(
  url: string,
  subs: string[],
  seconds: number,
): Promise<SocialLoad> {
  const totals: number[] = []
  const steps = Object.fromEntries(STEPS.map((k) => [k, [] as number[]])) as Record<Step, number[]>
  let errors = 0
  let firstError: string | undefined
  const started = performance.now()
  const end = started + seconds * 1000
  await Promise.all(
    subs.map(async (sub) => {
      while (performance.now() < end) {
        try {
          const f = await flow(url, sub)
          if (f.location !== `${url}/done`) throw new Error(`sign-in ended at ${f.location}`)
          totals.push(STEPS.reduce((sum, k) => sum + f.times[k], 0))
          for (const k of STEPS) steps[k].push(f.times[k])
        } catch (e) {
          errors++
          firstError ??= e instanceof Error ? e.message : String(e)
        }
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b)
  sorted(totals)
  return {
    rate: totals.length / elapsed,
    p50: pct(totals, 50),
    p99: pct(totals, 99),
    steps: Object.fromEntries(
      STEPS.map((k) => {
        const xs = sorted(steps[k])
        return [k, { p50: pct(xs, 50), p99: pct(xs, 99) }]
      }),
    ) as SocialLoad['steps'],
    completed: totals.length,
    errors,
    firstError,
  }
}

/** `start 5/20, upstream 30/80, callback 12/40`: each step's p50/p99 in ms. */
export const socialStepsNote = (steps: SocialLoad['steps']) =>
  STEPS.map((k) => `${k} ${steps[k].p50.toFixed(0)}/${steps[k].p99.toFixed(0)}`).join(', ')
