import {
  type MailMessage,
  type MailPurpose,
  type RenderedMail,
  VERIFICATION_LIFETIME_MINUTES,
} from './mail-message.js'

/*
 * One template per kind of message: a subject, a plain-text body and an HTML body. The HTML is
 * a single table-free column with inline styles only (mail clients drop <style> and block remote
 * images; there are none), so it reads the same in webmail, desktop and phone clients. Every
 * message names the application, carries the code or link with its lifetime, and says what to
 * do if you did not ask for it.
 */

const IGNORE = 'If you did not ask for this, ignore this email: nothing changes without it.'

const ACTION: Record<MailPurpose, string> = {
  sign_up: 'finish signing up',
  sign_in: 'sign in',
  add_email: 'verify this email address',
}

type Parts = { subject: string; lead: string; code?: string; url?: string; linkLabel?: string }

function parts(message: MailMessage, app: string): Parts {
  const lifetime = `${VERIFICATION_LIFETIME_MINUTES} minutes`
  switch (message.kind) {
    case 'verification_code':
      return {
        subject: `${message.code} is your ${app} verification code`,
        lead: `Enter this code to ${ACTION[message.purpose]} to ${app}. It expires in ${lifetime}.`,
        code: message.code,
      }
    case 'verification_link':
      return {
        subject: `Your ${app} ${message.purpose === 'sign_in' ? 'sign-in' : 'verification'} link`,
        lead: `Open this link to ${ACTION[message.purpose]} to ${app}. It works once and expires in ${lifetime}.`,
        url: message.url,
        linkLabel: message.purpose === 'sign_in' ? 'Sign in' : 'Verify email address',
      }
    case 'reset_password_code':
      return {
        subject: `${message.code} is your ${app} password reset code`,
        lead: `Enter this code to reset your ${app} password. It expires in ${lifetime}.`,
        code: message.code,
      }
  }
}

/**
 * Renders a message for the application named `applicationName`.
 *
 * @example
 * ```ts
 * renderMail({ kind: 'verification_code', code: '123456', purpose: 'sign_up' }, 'Acme')
 * ```
 */
export function renderMail(message: MailMessage, applicationName: string): RenderedMail {
  const p = parts(message, applicationName)
  const middle = p.code ? [p.code] : p.url ? [p.url] : []
  const text = [p.lead, '', ...middle, '', IGNORE, '', `— ${applicationName}`, ''].join('\n')
  return { subject: p.subject, text, html: html(p, applicationName) }
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"

function html(p: Parts, app: string): string {
  const body: string[] = [
    `<p style="margin:0 0 16px;font-size:16px;line-height:24px">${escapeHtml(p.lead)}</p>`,
  ]
  if (p.code)
    body.push(
      `<p style="margin:0 0 16px;font-size:32px;line-height:40px;font-weight:700;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${escapeHtml(p.code)}</p>`,
    )
  if (p.url)
    body.push(
      `<p style="margin:0 0 16px"><a href="${escapeHtml(p.url)}" style="display:inline-block;padding:12px 20px;background:#111827;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${escapeHtml(p.linkLabel ?? 'Open')}</a></p>`,
      `<p style="margin:0 0 16px;font-size:13px;line-height:20px;color:#4b5563;word-break:break-all">Or paste this address into your browser: ${escapeHtml(p.url)}</p>`,
    )
  body.push(
    `<p style="margin:0;font-size:13px;line-height:20px;color:#4b5563">${escapeHtml(IGNORE)}</p>`,
  )
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(p.subject)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f3f4f6;color:#111827;${FONT}">`,
    '<div style="max-width:480px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    `<p style="margin:0 0 16px;font-size:18px;font-weight:700">${escapeHtml(app)}</p>`,
    ...body,
    '</div></body></html>',
    '',
  ].join('\n')
}
