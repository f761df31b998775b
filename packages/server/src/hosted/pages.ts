/*
 * The server-rendered pages of the OAuth flow and the hosted account pages: plain HTML forms that
 * work without JavaScript, with visible labels, one heading, errors in an ARIA live region, and
 * colours from CSS variables an operator can override. Every interpolated value goes through
 * `esc`. The hosted pages (sign-in, sign-up, user profile) also load the `@latchkey/js` bundle,
 * which replaces the form with the same prebuilt component apps embed.
 */
import { BROWSER_BUNDLE_PATH } from './browser-bundle.js'
import { FORM_TOKEN_FIELD } from './form-guard.js'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text safe inside HTML text and double-quoted attributes. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

const STYLE = `
:root { --lk-color-primary: #4f46e5; --lk-color-text: #111827; --lk-color-muted: #6b7280;
  --lk-color-danger: #b91c1c; --lk-color-background: #f9fafb; --lk-color-card: #ffffff;
  --lk-radius: 10px; --lk-font: system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font-family: var(--lk-font);
  background: var(--lk-color-background); color: var(--lk-color-text); }
main { width: min(26rem, 92vw); background: var(--lk-color-card); border-radius: var(--lk-radius);
  padding: 2rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
h1 { font-size: 1.35rem; margin: 0 0 0.5rem; }
p { color: var(--lk-color-muted); margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input { width: 100%; padding: 0.6rem 0.7rem; border: 1px solid #d1d5db; border-radius: 6px; font: inherit; }
input:focus-visible, button:focus-visible { outline: 3px solid var(--lk-color-primary); outline-offset: 2px; }
button { margin-top: 1.25rem; width: 100%; padding: 0.65rem; border: 0; border-radius: 6px; font: inherit;
  font-weight: 600; background: var(--lk-color-primary); color: #fff; cursor: pointer; }
.lk-hosted { width: 100%; display: grid; place-items: center; padding: 2rem 0; }
.lk-hosted > .lk-root { width: min(40rem, 92vw); display: flex; justify-content: center; }
a { color: var(--lk-color-primary); font-weight: 600; }
button.secondary { background: transparent; color: var(--lk-color-text); border: 1px solid #d1d5db; }
ul { padding-left: 1.2rem; } li { margin: 0.3rem 0; }
.lk-check { display: flex; gap: 0.5rem; align-items: center; font-weight: 400; }
.lk-check input { width: auto; }
.lk-links { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; margin: 0.75rem 0 0; }
[role="alert"]:not(:empty) { color: var(--lk-color-danger); background: #fef2f2; padding: 0.6rem 0.75rem;
  border-radius: 6px; margin: 0.75rem 0; }
`

/** A hosted page's component: which one the bundle mounts over the form, and its props. */
export type Hosted = {
  view: 'sign-in' | 'sign-up' | 'user-profile'
  publishableKey: string
  /** `data-*` props for the component (redirect-url, sign-up-url, …). */
  props: Record<string, string | undefined>
}

export function page(title: string, body: string, hosted?: Hosted): string {
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>`
  if (!hosted) return `${head}\n<body><main>${body}</main></body></html>`
  const data = Object.entries(hosted.props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` data-${k}="${esc(v)}"`)
    .join('')
  return `${head}
<body><div class="lk-hosted" data-latchkey-mount="${hosted.view}"${data}><main>${body}</main></div>
<script src="${BROWSER_BUNDLE_PATH}" data-publishable-key="${esc(hosted.publishableKey)}" defer></script>
</body></html>`
}

/** An OAuth error that must not be redirected to the client (RFC 6749 §4.1.2.1). */
export function errorPage(error: string, description: string | undefined): string {
  return page(
    'Sign-in error',
    `<h1>Something went wrong</h1>
<div role="alert"><strong>${esc(error)}</strong>${description ? `: ${esc(description)}` : ''}</div>
<p>Go back to the application you came from and try again.</p>`,
  )
}

/** The hidden input that proves a form post came from this page (form-guard.ts). */
export function tokenInput(token: string): string {
  return `<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${esc(token)}">`
}

/**
 * An OAuth error of an application nobody vetted (oauth/unvetted-redirects.ts): it goes back to
 * the application only when the user clicks, and the page names where that leads.
 */
export function errorReturnPage(opts: {
  error: string
  description: string | undefined
  host: string
  redirect:
    | { method: 'GET'; url: string }
    | { method: 'POST'; action: string; fields: Record<string, string> }
}): string {
  const { redirect } = opts
  const go =
    redirect.method === 'GET'
      ? `<p><a href="${esc(redirect.url)}" rel="noreferrer">Continue to ${esc(opts.host)}</a></p>`
      : `<form method="post" action="${esc(redirect.action)}">${Object.entries(redirect.fields)
          .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
          .join('')}<button type="submit">Continue to ${esc(opts.host)}</button></form>`
  return page(
    'Sign-in error',
    `<h1>Something went wrong</h1>
<div role="alert"><strong>${esc(opts.error)}</strong>${opts.description ? `: ${esc(opts.description)}` : ''}</div>
<p>The application asked for something this server cannot grant. Only continue if you trust ${esc(opts.host)}.</p>
${go}`,
  )
}

/** What each scope lets an application see, in the consent screen's words. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'Your name, username and profile picture',
  email: 'Your email address',
  public_metadata: 'Your public metadata',
  private_metadata: 'Your private metadata',
  offline_access: 'Stay connected when you are not using it',
}

export function consentPage(opts: {
  action: string
  token: string
  applicationName: string
  scopes: string[]
  userLabel: string
}): string {
  const items = opts.scopes.map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)}</li>`).join('')
  return page(
    `Allow ${opts.applicationName}?`,
    `<h1>${esc(opts.applicationName)} wants to access your account</h1>
<p>Signed in as ${esc(opts.userLabel)}</p>
<p>${esc(opts.applicationName)} will be able to see:</p>
<ul aria-label="Requested permissions">${items}</ul>
<form method="post" action="${esc(opts.action)}">
${tokenInput(opts.token)}
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  )
}

export function signInPage(opts: {
  action: string
  token: string
  redirectUrl: string | undefined
  identifier?: string | undefined
  error?: string | undefined
  signUpUrl?: string | undefined
  /** "Forgot password?" and "Email me a sign-in code", when the instance enables them. */
  forgotPasswordUrl?: string | undefined
  emailCodeUrl?: string | undefined
  /** "Continue with <provider>": a form of its own, a submit button per connection. */
  providers?: { strategy: string; name: string }[] | undefined
  hosted?: Hosted | undefined
}): string {
  const links = [
    opts.forgotPasswordUrl && `<a href="${esc(opts.forgotPasswordUrl)}">Forgot password?</a>`,
    opts.emailCodeUrl && `<a href="${esc(opts.emailCodeUrl)}">Email me a sign-in code</a>`,
  ].filter(Boolean)
  const redirect = opts.redirectUrl
    ? `<input type="hidden" name="redirect_url" value="${esc(opts.redirectUrl)}">`
    : ''
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue</p>
${providerButtons(opts.action, opts.token, redirect, opts.providers)}
<form method="post" action="${esc(opts.action)}" novalidate>
${tokenInput(opts.token)}
${redirect}
<div role="alert" aria-live="assertive" id="form-error">${esc(opts.error ?? '')}</div>
<label for="identifier">Email address</label>
<input id="identifier" name="identifier" type="email" autocomplete="username" required
  value="${esc(opts.identifier ?? '')}" ${opts.error ? 'aria-describedby="form-error"' : 'autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
  ${opts.error ? 'autofocus aria-invalid="true" aria-describedby="form-error"' : ''}>
<button type="submit">Continue</button>
</form>
${links.length ? `<p class="lk-links">${links.join('')}</p>` : ''}
${opts.signUpUrl ? `<p>Don’t have an account? <a href="${esc(opts.signUpUrl)}">Sign up</a></p>` : ''}`,
    opts.hosted,
  )
}

/**
 * "Continue with <provider>" without JavaScript: a form of its own posting to `action`, a submit
 * button per enabled connection (`strategy=oauth_<provider>`), above the page's own form.
 */
function providerButtons(
  action: string,
  token: string,
  redirect: string,
  providers: { strategy: string; name: string }[] | undefined,
): string {
  if (!providers?.length) return ''
  const buttons = providers
    .map(
      (p) =>
        `<button type="submit" name="strategy" value="${esc(p.strategy)}">Continue with ${esc(p.name)}</button>`,
    )
    .join('\n')
  return `<form method="post" action="${esc(action)}" class="lk-providers">
${tokenInput(token)}
${redirect}
${buttons}
</form>
<p class="lk-divider">or</p>`
}

export function signUpPage(opts: {
  token: string
  redirectUrl: string | undefined
  signInUrl: string
  /** The enabled social connections: "Continue with <provider>" signs up (or in) there. */
  providers?: { strategy: string; name: string }[] | undefined
  values?: { email_address?: string; first_name?: string; last_name?: string } | undefined
  error?: string | undefined
  hosted: Hosted
}): string {
  const v = opts.values ?? {}
  const redirect = opts.redirectUrl
    ? `<input type="hidden" name="redirect_url" value="${esc(opts.redirectUrl)}">`
    : ''
  const invalid = opts.error ? ' aria-describedby="form-error"' : ''
  return page(
    'Sign up',
    `<h1>Create your account</h1>
<p>to continue</p>
${providerButtons('/sign-up', opts.token, redirect, opts.providers)}
<form method="post" action="/sign-up" novalidate>
${tokenInput(opts.token)}
${redirect}
<div role="alert" aria-live="assertive" id="form-error">${esc(opts.error ?? '')}</div>
<label for="first_name">First name</label>
<input id="first_name" name="first_name" autocomplete="given-name" value="${esc(v.first_name)}">
<label for="last_name">Last name</label>
<input id="last_name" name="last_name" autocomplete="family-name" value="${esc(v.last_name)}">
<label for="email_address">Email address</label>
<input id="email_address" name="email_address" type="email" autocomplete="email" required value="${esc(v.email_address)}"${invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required${invalid}>
<button type="submit">Create account</button>
</form>
<p>Already have an account? <a href="${esc(opts.signInUrl)}">Sign in</a></p>`,
    opts.hosted,
  )
}

/** The account page needs the bundle; without JavaScript it says so. */
export function userProfilePage(opts: { signInUrl: string; hosted: Hosted }): string {
  return page(
    'Account',
    `<h1>Account</h1>
<p>Managing your account needs JavaScript. <a href="${esc(opts.signInUrl)}">Sign in</a></p>`,
    opts.hosted,
  )
}

export function signedInPage(userLabel: string): string {
  return page('Signed in', `<h1>You are signed in</h1><p>Signed in as ${esc(userLabel)}.</p>`)
}

const LINK_RESULT: Record<string, { title: string; text: string }> = {
  verified: {
    title: 'Verified',
    text: 'Your email address is verified. Return to the tab you came from.',
  },
  expired: {
    title: 'Link expired',
    text: 'This link has expired. Ask for a new one and try again.',
  },
  failed: {
    title: 'Link not valid',
    text: 'This link is not valid or was already used. Ask for a new one.',
  },
  client_mismatch: {
    title: 'Open it where you asked',
    text: 'This link was requested in another browser. Open it in the browser where you asked for it.',
  },
}

/** What an email link says when it has no app to send the browser back to. */
export function linkResultPage(status: string): string {
  const r = LINK_RESULT[status] ?? LINK_RESULT.failed
  return page(r?.title ?? 'Link', `<h1>${esc(r?.title)}</h1><p role="status">${esc(r?.text)}</p>`)
}
