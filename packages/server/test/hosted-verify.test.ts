import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent, formAction, hiddenInputs, type Page } from './helpers/browser-agent.js'
import { fetchJson } from './helpers/browser-client.js'
import { codeFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'analytical engine 1843'
const NEW_PASSWORD = 'a brand new passphrase'

/** The `href` of a page's link by its text. */
const linkHref = (page: Page, text: string) => {
  const escaped = text.replace(/[?.*+()[\]]/g, '\\$&')
  const m = new RegExp(`<a href="([^"]*)">${escaped}</a>`).exec(page.html)
  return m?.[1]?.replace(/&amp;/g, '&')
}
/** The text of the page's alert. */
const alertOf = (page: Page) =>
  /<div role="alert"[^>]*>([^<]*)<\/div>/.exec(page.html)?.[1]?.replace(/&#39;/g, "'")

/**
 * Issue #16 on the hosted pages, over HTTP as a browser without JavaScript: sign-up with the
 * emailed code, "Forgot password?" and "Email me a sign-in code", each step's state in its form
 * and checked against the browser's client, errors in the form; and the refusals (wrong code,
 * another browser's sign-in or sign-up, a missing CSRF token, a resend too soon, an unknown
 * address) changing nothing. Mail comes from a real SMTP server.
 */
describe.each(DIALECTS)('hosted verification pages (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let n = 0
  const address = (tag: string) => `hosted-${tag}-${dialect}-${++n}@example.com`

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      smtpUrl: smtp.url,
      verifyEmailAtSignUp: true,
      fake: true,
    })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  const fakeClock = () => server.clock as { advance(ms: number): void }
  const newUser = async (email: string) => {
    const r = await fetchJson(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email_address: [email], password: PASSWORD }),
    })
    expect(r.status).toBe(200)
  }
  const sessionsOf = async (agent: BrowserAgent) => {
    const page = await agent.goto('/v1/client')
    return (JSON.parse(page.html).response?.sessions ?? []) as { user: { id: string } }[]
  }
  /** A browser at "Check your email" after the hosted sign-up form, and the code it was sent. */
  const signUpToCode = async (email: string) => {
    const agent = new BrowserAgent(server.url)
    const at = smtp.messages.length
    const form = await agent.goto('/sign-up')
    const page = await agent.fill(form, { email_address: email, password: PASSWORD })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    return { agent, page, code }
  }
  /** A browser at the code step of a sign-in started by mail, and the code. */
  const mailStart = async (email: string, link: 'Forgot password?' | 'Email me a sign-in code') => {
    const agent = new BrowserAgent(server.url)
    const signIn = await agent.goto('/sign-in')
    const start = await agent.goto(linkHref(signIn, link) as string)
    expect(start.status).toBe(200)
    const at = smtp.messages.length
    const page = await agent.fill(start, { identifier: email })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    return { agent, page, code }
  }

  it('sign-up: the form leads to "Check your email"; a wrong code is refused in the form, the right one signs in', async () => {
    const email = address('signup')
    const before = await server.snapshot()
    const { agent, page, code } = await signUpToCode(email)
    expect(page.status).toBe(200)
    expect(new URL(page.url).pathname).toBe('/sign-up/verify')
    expect(page.html).toContain('<h1>Check your email</h1>')
    expect(page.html).toContain(`<strong>${email}</strong>`)
    expect(page.html).toContain('autocomplete="one-time-code"')
    const id = hiddenInputs(page.html).sign_up_id as string
    expect(id).toMatch(/^sua_/)
    expect(new URL(page.url).searchParams.get('sign_up_id')).toBe(id)
    expect((await server.snapshot()).users).toBe(before.users)

    const wrong = await agent.fill(page, { code: code === '000000' ? '111111' : '000000' })
    expect(wrong.status).toBe(422)
    expect(alertOf(wrong)).toBe('Incorrect code')
    expect(wrong.html).toContain('aria-invalid="true"')
    expect(hiddenInputs(wrong.html).sign_up_id).toBe(id)
    expect((await server.snapshot()).users).toBe(before.users)
    const empty = await agent.fill(wrong, { code: '' })
    expect(empty.status).toBe(422)
    expect(alertOf(empty)).toBe('Enter the code from the email.')

    const done = await agent.fill(empty, { code })
    expect(done.status).toBe(200)
    expect(done.html).toContain(`Signed in as ${email}`)
    expect(await sessionsOf(agent)).toHaveLength(1)
    expect((await server.snapshot()).users).toBe((before.users ?? 0) + 1)
    // The finished sign-up's page cannot be used again.
    const again = await agent.goto(page.url)
    expect(again.status).toBe(400)
    expect(again.html).toContain('<h1>Start again</h1>')
  })

  it("sign-up: another browser's sign-up id, a missing token or a cross-site post are refused and change nothing", async () => {
    const victim = await signUpToCode(address('victim'))
    const attacker = await signUpToCode(address('attacker'))
    const victimId = hiddenInputs(victim.page.html).sign_up_id as string
    const before = await server.snapshot()
    // The attacker's own form (its token is valid), naming the victim's sign-up and code.
    const foreign = await attacker.agent.fill(attacker.page, {
      sign_up_id: victimId,
      code: victim.code,
    })
    expect(foreign.status).toBe(404)
    expect(foreign.html).toContain('<h1>Start again</h1>')
    expect(alertOf(foreign)).toBe(`No sign-up was found with id ${victimId}.`)
    expect((await attacker.agent.goto(`/sign-up/verify?sign_up_id=${victimId}`)).status).toBe(404)

    const { csrf_token: _, ...untokened } = hiddenInputs(victim.page.html)
    const noToken = await victim.agent.submit('/sign-up/verify', {
      ...untokened,
      code: victim.code,
    })
    expect(noToken.status).toBe(403)
    expect(alertOf(noToken)).toBe('This form has expired. Please try again.')
    const crossSite = await fetch(`${server.url}/sign-up/verify`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: victim.agent.cookieHeader(new URL('/sign-up/verify', server.url)),
        origin: 'https://evil.example',
      },
      body: new URLSearchParams({ ...hiddenInputs(victim.page.html), code: victim.code }),
    })
    expect(crossSite.status).toBe(403)
    expect(await server.snapshot()).toEqual(before)
    // The victim's own form, re-rendered with a fresh token, still completes.
    const done = await victim.agent.fill(noToken, { code: victim.code })
    expect(done.html).toContain('Signed in as')
  })

  it('sign-up: "Send a new code" is refused within 30 s (the cooldown in the form), then sends one', async () => {
    const email = address('resend')
    const { agent, page } = await signUpToCode(email)
    const resend = { ...hiddenInputs(page.html.slice(page.html.lastIndexOf('<form'))) }
    expect(formAction(page.html.slice(page.html.lastIndexOf('<form')))).toBe(
      '/sign-up/verify/resend',
    )
    const soon = await agent.submit('/sign-up/verify/resend', resend)
    expect(soon.status).toBe(429)
    expect(soon.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(alertOf(soon)).toBe('A code was just sent. Wait a little before asking for another.')
    fakeClock().advance(31_000)
    const at = smtp.messages.length
    const sent = await agent.submit('/sign-up/verify/resend', resend)
    expect(sent.status).toBe(200)
    expect(new URL(sent.url).searchParams.get('resent')).toBe('1')
    expect(sent.html).toContain('<p role="status">A new code is on its way.</p>')
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await agent.fill(sent, { code })
    expect(done.html).toContain(`Signed in as ${email}`)
  })

  it('forgot password: the address, the code, the new password (other devices signed out); the old password is refused', async () => {
    const email = address('reset')
    await newUser(email)
    const laptop = new BrowserAgent(server.url)
    await laptop.fill(await laptop.goto('/sign-in'), { identifier: email, password: PASSWORD })
    expect(await sessionsOf(laptop)).toHaveLength(1)

    const { agent, page, code } = await mailStart(email, 'Forgot password?')
    expect(new URL(page.url).pathname).toBe('/sign-in/reset')
    expect(page.html).toContain(`<strong>${email}</strong>`)
    const proved = await agent.fill(page, { code })
    expect(new URL(proved.url).pathname).toBe('/sign-in/new-password')
    expect(proved.html).toContain('autocomplete="new-password"')
    expect(proved.html).toMatch(/name="sign_out_of_other_sessions" value="true" checked>/)
    const mismatch = await agent.fill(proved, {
      password: NEW_PASSWORD,
      confirm_password: 'something else',
      sign_out_of_other_sessions: 'true',
    })
    expect(mismatch.status).toBe(422)
    expect(alertOf(mismatch)).toBe('The passwords do not match.')
    const weak = await agent.fill(mismatch, {
      password: 'short',
      confirm_password: 'short',
      sign_out_of_other_sessions: 'true',
    })
    expect(weak.status).toBe(422)
    expect(alertOf(weak)).toMatch(/8 characters/)
    const done = await agent.fill(weak, {
      password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
      sign_out_of_other_sessions: 'true',
    })
    expect(done.html).toContain(`Signed in as ${email}`)
    expect(await sessionsOf(agent)).toHaveLength(1)
    expect(await sessionsOf(laptop)).toHaveLength(0)

    const other = new BrowserAgent(server.url)
    const form = await other.goto('/sign-in')
    const old = await other.fill(form, { identifier: email, password: PASSWORD })
    expect(old.status).toBe(422)
    expect(alertOf(old)).toMatch(/^Password is incorrect/)
    // The refused form's "Forgot password?" carries the address typed.
    expect(linkHref(old, 'Forgot password?')).toBe(
      `/sign-in/forgot-password?identifier=${encodeURIComponent(email)}`,
    )
    const ok = await other.fill(old, { identifier: email, password: NEW_PASSWORD })
    expect(ok.html).toContain(`Signed in as ${email}`)
  })

  it("forgot password: an unknown address gets Clerk's answer and nothing is written; another browser's reset is refused", async () => {
    const agent = new BrowserAgent(server.url)
    const start = await agent.goto('/sign-in/forgot-password')
    const before = await server.snapshot()
    const unknown = await agent.fill(start, { identifier: address('nobody') })
    expect(unknown.status).toBe(422)
    expect(alertOf(unknown)).toBe("Couldn't find your account.")
    expect(await server.snapshot()).toEqual(before)

    const email = address('reset-foreign')
    await newUser(email)
    const victim = await mailStart(email, 'Forgot password?')
    const victimId = hiddenInputs(victim.page.html).sign_in_id as string
    const attacker = await mailStart(email, 'Forgot password?')
    const foreign = await attacker.agent.fill(attacker.page, {
      sign_in_id: victimId,
      code: victim.code,
    })
    expect(foreign.status).toBe(404)
    expect(alertOf(foreign)).toBe(`No sign-in was found with id ${victimId}.`)
    const proved = await victim.agent.fill(victim.page, { code: victim.code })
    const stolen = await attacker.agent.goto(`/sign-in/new-password?sign_in_id=${victimId}`)
    expect(stolen.status).toBe(404)
    expect(new URL(proved.url).pathname).toBe('/sign-in/new-password')
  })

  it('a code cannot be guessed in the form: the third wrong code fails it and the right one then fails too; a new code works', async () => {
    const email = address('guess')
    await newUser(email)
    const { agent, page, code } = await mailStart(email, 'Email me a sign-in code')
    const wrong = code === '000000' ? '111111' : '000000'
    let current = page
    for (const says of ['Incorrect code', 'Incorrect code', 'Too many failed attempts']) {
      current = await agent.fill(current, { code: wrong })
      expect(current.status).toBe(422)
      expect(alertOf(current)).toMatch(new RegExp(`^${says}`))
    }
    const locked = await agent.fill(current, { code })
    expect(locked.status).toBe(422)
    expect(alertOf(locked)).toMatch(/^Too many failed attempts/)
    expect(await sessionsOf(agent)).toHaveLength(0)
    // A failed code may be replaced at once (the cooldown holds an unused one only).
    const at = smtp.messages.length
    const form = locked.html.slice(locked.html.lastIndexOf('<form'))
    const resent = await agent.submit('/sign-in/code/resend', hiddenInputs(form))
    expect(resent.status).toBe(200)
    const fresh = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await agent.fill(resent, { code: fresh })
    expect(done.html).toContain(`Signed in as ${email}`)
  })

  it('the sign-in form links only the factors the instance enables', async () => {
    const { instance } = server.services
    const { first_factors } = await instance.settings()
    const agent = new BrowserAgent(server.url)
    try {
      await instance.updateSettings({
        first_factors: { ...first_factors, reset_password_email_code: false },
      })
      const page = await agent.goto('/sign-in')
      expect(linkHref(page, 'Forgot password?')).toBeUndefined()
      expect(linkHref(page, 'Email me a sign-in code')).toBe('/sign-in/email-code')
      // The page itself refuses the disabled strategy with the Frontend API's answer.
      const start = await agent.goto('/sign-in/forgot-password')
      const refused = await agent.fill(start, { identifier: address('disabled') })
      expect(refused.status).toBe(422)
      expect(alertOf(refused)).toBe('Unsupported strategy reset_password_email_code.')
    } finally {
      await instance.updateSettings({ first_factors })
    }
  })

  it('"Email me a sign-in code": the address, the code from the mail, signed in; the redirect_url is kept for allowed origins only', async () => {
    const email = address('code')
    await newUser(email)
    const agent = new BrowserAgent(server.url)
    const own = `${server.url}/after`
    const signIn = await agent.goto(`/sign-in?redirect_url=${encodeURIComponent(own)}`)
    const start = await agent.goto(linkHref(signIn, 'Email me a sign-in code') as string)
    expect(hiddenInputs(start.html).redirect_url).toBe(own)
    const at = smtp.messages.length
    const page = await agent.fill(start, { identifier: email })
    expect(new URL(page.url).pathname).toBe('/sign-in/code')
    expect(hiddenInputs(page.html).redirect_url).toBe(own)
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await agent.fill(page, { code })
    expect(done.url).toBe(own)
    expect(await sessionsOf(agent)).toHaveLength(1)

    // A foreign redirect_url is dropped at every step.
    const other = new BrowserAgent(server.url)
    const evil = await other.goto(
      `/sign-in/email-code?redirect_url=${encodeURIComponent('https://evil.example/')}`,
    )
    expect(hiddenInputs(evil.html).redirect_url).toBeUndefined()
  })
})
