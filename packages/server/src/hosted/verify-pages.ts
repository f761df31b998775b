/*
 * The hosted pages of the steps after the first form (issue #16): "Check your email" with a code
 * form, a page asking for the email address ("Forgot password?", "Email me a sign-in code"), the
 * new-password form, and the page of a step this browser cannot continue. Plain forms, no
 * script: with JavaScript the prebuilt components walk the same steps over the Frontend API.
 * Each form carries its CSRF token, the flow's id (the server checks it is this browser's) and
 * the validated redirect URL.
 */
import { esc, page, tokenInput } from './pages.js'

const hidden = (name: string, value: string | undefined) =>
  value ? `<input type="hidden" name="${esc(name)}" value="${esc(value)}">` : ''

const alert = (error: string | undefined) =>
  `<div role="alert" aria-live="assertive" id="form-error">${esc(error ?? '')}</div>`

/** The fields every step's form carries: CSRF token, the flow's id, where it ends. */
export type StepFields = {
  token: string
  idField: 'sign_in_id' | 'sign_up_id'
  id: string
  redirectUrl: string | undefined
}

const stepInputs = (f: StepFields) =>
  `${tokenInput(f.token)}\n${hidden(f.idField, f.id)}\n${hidden('redirect_url', f.redirectUrl)}`

/** "Check your email": the code form, then a form asking for a new code. */
export function codePage(o: {
  title: string
  heading: string
  /** Where the code went, as the flow may show it (masked unless the person typed it). */
  sentTo: string
  action: string
  resendAction: string
  fields: StepFields
  resendToken: string
  error?: string | undefined
  notice?: string | undefined
  back: { url: string; text: string }
}): string {
  const described = o.error ? ' aria-invalid="true" aria-describedby="form-error"' : ''
  return page(
    o.title,
    `<h1>${esc(o.heading)}</h1>
<p>We sent a 6-digit code to <strong>${esc(o.sentTo)}</strong>. It expires in 10 minutes.</p>
${o.notice ? `<p role="status">${esc(o.notice)}</p>` : ''}
<form method="post" action="${esc(o.action)}" novalidate>
${stepInputs(o.fields)}
${alert(o.error)}
<label for="code">Verification code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*"
  maxlength="6" required autofocus${described}>
<button type="submit">Continue</button>
</form>
<form method="post" action="${esc(o.resendAction)}">
${stepInputs({ ...o.fields, token: o.resendToken })}
<button type="submit" class="secondary">Send a new code</button>
</form>
<p>Didn’t get it? Check your spam folder, or wait 30 seconds and ask for a new code.</p>
<p><a href="${esc(o.back.url)}">${esc(o.back.text)}</a></p>`,
  )
}

/** A page asking for the account's email address before a code is sent. */
export function emailPage(o: {
  title: string
  heading: string
  intro: string
  action: string
  token: string
  redirectUrl: string | undefined
  identifier?: string | undefined
  error?: string | undefined
  back: { url: string; text: string }
}): string {
  const described = o.error ? ' aria-invalid="true" aria-describedby="form-error"' : ''
  return page(
    o.title,
    `<h1>${esc(o.heading)}</h1>
<p>${esc(o.intro)}</p>
<form method="post" action="${esc(o.action)}" novalidate>
${tokenInput(o.token)}
${hidden('redirect_url', o.redirectUrl)}
${alert(o.error)}
<label for="identifier">Email address</label>
<input id="identifier" name="identifier" type="email" autocomplete="username" required
  value="${esc(o.identifier ?? '')}" autofocus${described}>
<button type="submit">Send code</button>
</form>
<p><a href="${esc(o.back.url)}">${esc(o.back.text)}</a></p>`,
  )
}

/** After a proved reset code: the new password, twice, and whether other devices sign out. */
export function newPasswordPage(o: {
  action: string
  fields: StepFields
  error?: string | undefined
  signOutOthers: boolean
}): string {
  const described = o.error ? ' aria-invalid="true" aria-describedby="form-error"' : ''
  return page(
    'Set a new password',
    `<h1>Set a new password</h1>
<p>Choose a password you do not use anywhere else.</p>
<form method="post" action="${esc(o.action)}" novalidate>
${stepInputs(o.fields)}
${alert(o.error)}
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required autofocus${described}>
<label for="confirm_password">Confirm password</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required${described}>
<label class="lk-check" for="sign_out_of_other_sessions"><input type="checkbox" id="sign_out_of_other_sessions"
  name="sign_out_of_other_sessions" value="true"${o.signOutOthers ? ' checked' : ''}> Sign out of all other devices</label>
<button type="submit">Reset password</button>
</form>`,
  )
}

/** A step this browser cannot continue (another browser's, finished or expired). */
export function stepGonePage(o: { message: string; restart: { url: string; text: string } }) {
  return page(
    'Start again',
    `<h1>Start again</h1>
${alert(o.message)}
<p><a href="${esc(o.restart.url)}">${esc(o.restart.text)}</a></p>`,
  )
}
