import type { Browser, CDPSession, Page } from 'playwright-core'

/**
 * Chromium's virtual authenticator (DevTools protocol `WebAuthn` domain): a platform
 * authenticator with resident keys and user verification, answering without a prompt. A real
 * WebAuthn ceremony: the browser writes the page's origin into the client data and the
 * authenticator signs with its own keys and counter.
 */
export async function addVirtualAuthenticator(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return {
    /** Whether the authenticator reports the user verified (PIN, biometrics) from now on. */
    setUserVerified: (isUserVerified: boolean) =>
      cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified }),
    /** Forgets every credential (Chromium's virtual authenticator holds only a few resident keys). */
    clear: () => cdp.send('WebAuthn.clearCredentials', { authenticatorId }),
    credentials: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  }
}

/**
 * A blank page at `origin` (served by the test itself, so any origin will do), with a virtual
 * authenticator: the "browser" whose ceremonies tests replay, alter or run on a wrong origin.
 */
export async function authenticatorPage(browser: Browser, origin: string) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.route(`${origin}/**`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>authenticator</title>',
    }),
  )
  await page.goto(`${origin}/`)
  const authenticator = await addVirtualAuthenticator(page)
  return {
    page,
    authenticator,
    close: () => context.close(),
    /** `navigator.credentials.create` with Clerk's creation options (JSON), serialized as clerk-js does. */
    create: (nonce: string) => page.evaluate(createInPage, nonce),
    /** `navigator.credentials.get` with request options (JSON), optionally changed first. */
    get: (nonce: string, change: { allowCredentials?: string[]; userVerification?: string } = {}) =>
      page.evaluate(getInPage, { nonce, change }),
    /** Another page on another origin in the same browser (same authenticator, same keys). */
    async goto(other: string) {
      await page.route(`${other}/**`, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>other</title>' }),
      )
      await page.goto(`${other}/`)
    },
  }
}

// The two functions below run in the page: WebAuthn's JSON options to buffers and back (the
// conversions clerk-js's passkeys helpers make).
async function createInPage(nonce: string): Promise<string> {
  const dec = (s: string) =>
    Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  const enc = (b: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(b)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  const o = JSON.parse(nonce)
  const cred = (await navigator.credentials.create({
    publicKey: {
      ...o,
      challenge: dec(o.challenge),
      user: { ...o.user, id: dec(o.user.id) },
      excludeCredentials: (o.excludeCredentials ?? []).map((c: { id: string }) => ({
        ...c,
        id: dec(c.id),
      })),
    },
  })) as PublicKeyCredential
  const r = cred.response as AuthenticatorAttestationResponse
  return JSON.stringify({
    type: cred.type,
    id: cred.id,
    rawId: enc(cred.rawId),
    authenticatorAttachment: cred.authenticatorAttachment,
    response: {
      clientDataJSON: enc(r.clientDataJSON),
      attestationObject: enc(r.attestationObject),
      transports: r.getTransports(),
    },
  })
}

async function getInPage(a: {
  nonce: string
  change: { allowCredentials?: string[]; userVerification?: string }
}): Promise<string> {
  const dec = (s: string) =>
    Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  const enc = (b: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(b)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  const o = JSON.parse(a.nonce)
  const allow: string[] =
    a.change.allowCredentials ?? (o.allowCredentials ?? []).map((c: { id: string }) => c.id)
  const cred = (await navigator.credentials.get({
    publicKey: {
      ...o,
      ...(a.change.userVerification ? { userVerification: a.change.userVerification } : {}),
      challenge: dec(o.challenge),
      allowCredentials: allow.map((id) => ({ type: 'public-key', id: dec(id) })),
    },
  })) as PublicKeyCredential
  const r = cred.response as AuthenticatorAssertionResponse
  return JSON.stringify({
    type: cred.type,
    id: cred.id,
    rawId: enc(cred.rawId),
    authenticatorAttachment: cred.authenticatorAttachment,
    response: {
      clientDataJSON: enc(r.clientDataJSON),
      authenticatorData: enc(r.authenticatorData),
      signature: enc(r.signature),
      userHandle: r.userHandle ? enc(r.userHandle) : null,
    },
  })
}
