import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Security issue "Brute force and lockout abuse": per-IP limits were per route, so guesses could
// be spread over the routes that check a password, and ten wrong passwords locked the owner out
// for an hour, again every hour, for anyone who knew the address.

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password at all'

type Clock = { advance(ms: number): void }

/** Boots a server behind a "proxy" (the test itself, on 127.0.0.1) so each client picks its IP. */
function limitedServer(dialect: (typeof DIALECTS)[number], env: Record<string, string> = {}) {
  return createTestServer(dialect, {
    fake: true,
    env: { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1', ...env },
  })
}

let ipCounter = 0
/** A browser at a new client IP: a botnet's next machine. */
const stranger = (server: TestServer) =>
  new BrowserClient(server.url, undefined, {
    'x-forwarded-for': `198.18.${++ipCounter >> 8}.${ipCounter & 255}`,
  })

/** Signs in through the one-call Frontend API sign-in. */
const fapiSignIn = (b: BrowserClient, identifier: string, password: string) =>
  b.post('/v1/client/sign_ins', { identifier, password, strategy: 'password' })

/** Signs in in two steps: create with the identifier, then attempt_first_factor. */
async function twoStepSignIn(b: BrowserClient, identifier: string, password: string) {
  const created = await b.post('/v1/client/sign_ins', { identifier })
  expect(created.status).toBe(200)
  return b.post(`/v1/client/sign_ins/${created.json.response.id}/attempt_first_factor`, {
    strategy: 'password',
    password,
  })
}

describe.each(DIALECTS)('password checks share one per-IP limit (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await limitedServer(dialect)
    for (const email of ['spread@example.com', 'owner@example.com'])
      await server.services.users.create({ emailAddress: [email], password: PASSWORD })
  })
  afterAll(() => server.close())

  it('3 per 10 s from one IP, whichever routes check them: sign-in, two-step, hosted page, password change', async () => {
    const ip = { 'x-forwarded-for': '203.0.113.20' }
    const b = () => new BrowserClient(server.url, undefined, ip)
    expect((await fapiSignIn(b(), 'spread@example.com', WRONG)).status).toBe(422)
    expect((await b().hostedSignIn('spread@example.com', WRONG)).status).toBe(422)
    expect((await twoStepSignIn(b(), 'spread@example.com', WRONG)).status).toBe(422)
    // The fourth check is refused on every route, even with the right password.
    const fapi = await fapiSignIn(b(), 'spread@example.com', PASSWORD)
    expect(fapi.status).toBe(429)
    expect(fapi.json.errors[0]).toMatchObject({
      code: 'too_many_requests',
      meta: { retry_after_seconds: expect.any(Number) },
    })
    expect(Number(fapi.headers.get('retry-after'))).toBeGreaterThan(0)
    const hosted = await b().hostedSignIn('spread@example.com', PASSWORD)
    expect(hosted.status).toBe(429)
    expect(Number(hosted.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await twoStepSignIn(b(), 'spread@example.com', PASSWORD)).status).toBe(429)
    // A signed-in browser at that IP cannot use the password change to guess either.
    const owner = new BrowserClient(server.url, undefined, { 'x-forwarded-for': '203.0.113.21' })
    await owner.signIn('owner@example.com', PASSWORD)
    owner.extraHeaders['x-forwarded-for'] = '203.0.113.20'
    const change = await owner.post('/v1/me/change_password', {
      current_password: WRONG,
      new_password: 'a brand new passphrase',
    })
    expect(change.status).toBe(429)
    // Another IP is not affected, and the window ends.
    expect((await fapiSignIn(stranger(server), 'spread@example.com', PASSWORD)).status).toBe(200)
    ;(server.clock as Clock).advance(10_001)
    expect((await fapiSignIn(b(), 'spread@example.com', PASSWORD)).status).toBe(200)
  })
})

describe.each(DIALECTS)('the progressive delay on an account (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await limitedServer(dialect)
    for (const email of ['delay@example.com', 'burst@example.com'])
      await server.services.users.create({ emailAddress: [email], password: PASSWORD })
  })
  afterAll(() => server.close())

  it('from the 5th consecutive failure, attempts wait 1 s, 2 s, 4 s … up to 15 minutes; a success ends it', async () => {
    const clock = server.clock as Clock
    const email = 'delay@example.com'
    // Four failures from four IPs: no wait.
    for (let i = 0; i < 4; i++)
      expect((await fapiSignIn(stranger(server), email, WRONG)).status).toBe(422)
    const waits: number[] = []
    for (let failure = 5; failure <= 16; failure++) {
      // The failure is checked (and counted)…
      const r = fapiSignIn(stranger(server), email, WRONG)
      expect((await r).status).toBe(422)
      // …and until the wait ends, not even the right password is.
      const refused = await fapiSignIn(stranger(server), email, PASSWORD)
      expect(refused.status).toBe(429)
      expect(refused.json.errors[0].code).toBe('too_many_requests')
      expect(refused.json.errors[0].meta.retry_after_seconds).toBe(
        Number(refused.headers.get('retry-after')),
      )
      const wait = Number(refused.headers.get('retry-after'))
      waits.push(wait)
      clock.advance(wait * 1000)
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900])
    // The delay holds on every route, the hosted page too.
    expect((await fapiSignIn(stranger(server), email, WRONG)).status).toBe(422)
    expect((await stranger(server).hostedSignIn(email, PASSWORD)).status).toBe(429)
    expect((await twoStepSignIn(stranger(server), email, PASSWORD)).status).toBe(429)
    clock.advance(900_000)
    // A success clears it: the next failures do not wait.
    expect((await fapiSignIn(stranger(server), email, PASSWORD)).status).toBe(200)
    for (let i = 0; i < 4; i++)
      expect((await fapiSignIn(stranger(server), email, WRONG)).status).toBe(422)
    expect((await fapiSignIn(stranger(server), email, PASSWORD)).status).toBe(200)
  })

  it('parallel guesses cannot slip past it: one account is checked one attempt at a time', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fapiSignIn(stranger(server), 'burst@example.com', WRONG).then((r) => r.status),
      ),
    )
    expect(statuses.filter((s) => s === 422)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(15)
  })
})

describe.each(DIALECTS)(
  'the lockout does not lock the owner out of a known device (%s)',
  (dialect) => {
    let server: TestServer
    const email = 'victim@example.com'
    beforeAll(async () => {
      server = await limitedServer(dialect, { LATCHKEY_LOCKOUT_ATTEMPTS: '8' })
      await server.services.users.create({ emailAddress: [email], password: PASSWORD })
    })
    afterAll(() => server.close())

    /** Signs in on a new device at its own IP and signs out again: the device is now known. */
    async function knownDevice(via: 'fapi' | 'hosted'): Promise<BrowserClient> {
      const device = stranger(server)
      const r =
        via === 'fapi'
          ? await fapiSignIn(device, email, PASSWORD)
          : await device.hostedSignIn(email, PASSWORD)
      expect(r.status).toBe(200)
      expect((await device.post('/v1/client/sessions?_method=DELETE')).status).toBe(200)
      return device
    }

    /** Strangers fail through every password route, waiting out each delay, until it locks. */
    async function tripLockout(): Promise<void> {
      const guess = (failure: number, b: BrowserClient) =>
        failure % 3 === 0
          ? fapiSignIn(b, email, WRONG)
          : failure % 3 === 1
            ? b.hostedSignIn(email, WRONG)
            : twoStepSignIn(b, email, WRONG)
      for (let failure = 1; failure <= 8; failure++) {
        const r = await guess(failure, stranger(server))
        expect(r.status, `failure ${failure}`).toBe(failure < 8 ? 422 : 403)
        // Wait out the delay (1 s, 2 s, 4 s from the 5th failure), so every guess is checked.
        ;(server.clock as Clock).advance(5_000)
      }
    }

    it('strangers lock the account through the Frontend API and the hosted page; the owner’s devices still sign in', async () => {
      const laptop = await knownDevice('fapi')
      const phone = await knownDevice('hosted')
      await tripLockout()
      // A device that never signed in is locked out, on every route, with the right password.
      const locked = await fapiSignIn(stranger(server), email, PASSWORD)
      expect(locked.status).toBe(403)
      expect(locked.json.errors[0].code).toBe('user_locked')
      expect((await stranger(server).hostedSignIn(email, PASSWORD)).status).toBe(403)
      // The owner's laptop signs in (and its success ends the lockout).
      const back = await fapiSignIn(laptop, email, PASSWORD)
      expect(back.status).toBe(200)
      expect(back.json.response.status).toBe('complete')
      // Locked again by strangers; the phone signs in through the hosted page.
      await tripLockout()
      expect((await fapiSignIn(stranger(server), email, PASSWORD)).status).toBe(403)
      const hosted = await phone.hostedSignIn(email, PASSWORD)
      expect(hosted.status).toBe(200)
      expect(hosted.html).toContain(`Signed in as ${email}`)
    })

    it('a known device’s failures still count, and 5 of its own within an hour end its exemption', async () => {
      const clock = server.clock as Clock
      const laptop = await knownDevice('fapi')
      // Its five failures (10 s apart: its IP's limit) put the account into the delay for others…
      for (let i = 0; i < 5; i++) {
        clock.advance(10_001)
        expect((await fapiSignIn(laptop, email, WRONG)).status).toBe(422)
      }
      expect((await fapiSignIn(stranger(server), email, PASSWORD)).status).toBe(429)
      // …and, having failed five times itself, the laptop now waits like any device.
      clock.advance(10_001)
      expect((await fapiSignIn(laptop, email, WRONG)).status).toBe(422)
      expect((await fapiSignIn(laptop, email, PASSWORD)).status).toBe(429)
      // Its own failures are forgotten after the hour: in the delay strangers cause, it is exempt.
      clock.advance(3_600_000)
      expect((await fapiSignIn(stranger(server), email, WRONG)).status).toBe(422)
      expect((await fapiSignIn(stranger(server), email, PASSWORD)).status).toBe(429)
      expect((await fapiSignIn(laptop, email, PASSWORD)).status).toBe(200)
    })

    it('an admin’s lock holds on known devices too', async () => {
      const laptop = await knownDevice('fapi')
      const user = await server.services.users.findByIdentifier(email)
      const lock = await fetchJson(`${server.url}/v1/users/${user?.id}/lock`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      expect(lock.status).toBe(200)
      const r = await fapiSignIn(laptop, email, PASSWORD)
      expect(r.status).toBe(403)
      expect(r.json.errors[0].code).toBe('user_locked')
    })
  },
)

// Issue "known device counts pending sessions": a client whose only session of the user is
// pending (signed in with the password, its second factor still to set up) was a known device,
// exempt from the lockout: whoever has the password, and only that, kept guessing past it.
describe.each(DIALECTS)('a pending session does not make a known device (%s)', (dialect) => {
  let server: TestServer
  const email = 'pending-device@example.com'
  beforeAll(async () => {
    server = await limitedServer(dialect, { LATCHKEY_LOCKOUT_ATTEMPTS: '8' })
    await server.services.users.create({ emailAddress: [email], password: PASSWORD })
  })
  afterAll(() => server.close())

  const setMfaRequired = async (on: boolean) => {
    const r = await fetchJson(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mfa_required: on }),
    })
    expect(r.status).toBe(200)
  }

  /** Signs in with the password and signs out again; answers the device and its session's status. */
  async function signInAndOut(): Promise<{ device: BrowserClient; status: string }> {
    const device = stranger(server)
    const r = await fapiSignIn(device, email, PASSWORD)
    expect(r.status).toBe(200)
    const status = r.json.client.sessions[0].status as string
    expect((await device.post('/v1/client/sessions?_method=DELETE')).status).toBe(200)
    return { device, status }
  }

  it('a device whose session waited on setup-mfa is locked out; one that completed a sign-in is not', async () => {
    const laptop = await signInAndOut()
    expect(laptop.status).toBe('active')
    await setMfaRequired(true)
    try {
      const other = await signInAndOut()
      expect(other.status).toBe('pending')
      for (let failure = 1; failure <= 8; failure++) {
        const r = await fapiSignIn(stranger(server), email, WRONG)
        expect(r.status, `failure ${failure}`).toBe(failure < 8 ? 422 : 403)
        ;(server.clock as Clock).advance(5_000)
      }
      const refused = await fapiSignIn(other.device, email, PASSWORD)
      expect(refused.status).toBe(403)
      expect(refused.json.errors[0].code).toBe('user_locked')
      const back = await fapiSignIn(laptop.device, email, PASSWORD)
      expect(back.status).toBe(200)
      expect(back.json.response.status).toBe('complete')
    } finally {
      await setMfaRequired(false)
    }
  })
})
