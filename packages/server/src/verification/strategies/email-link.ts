import { ApiError } from '@latchkey/contracts'
import { randomToken, safeEqual } from '../../lib/crypto.js'
import { emailFactors } from '../factors.js'
import { newVerificationRow } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'
import { verificationUpsert } from '../verifications.repository.js'

/**
 * `email_link`: a single-use link to `GET /v1/verify?token=…` mailed to the address. The token
 * (256 bits) is stored as its HMAC. A link completes only in the browser whose client asked for
 * it: opened anywhere else it proves nothing (`client_mismatch`), so a person who clicks a link
 * they did not ask for cannot sign a stranger's browser into their account.
 */
export const emailLink: VerificationStrategy = {
  name: 'email_link',
  factors: (subject) => emailFactors('email_link', subject),
  prepare: async (ctx, target, input) => {
    const redirectUrl = await allowedRedirect(ctx.deps, input.redirectUrl)
    const token = randomToken(32)
    const row = {
      ...newVerificationRow(ctx, target, 'email_link'),
      secret_hash: ctx.deps.services.verifications.secrets.lookup(token),
      redirect_url: redirectUrl,
    }
    const url = new URL('/v1/verify', ctx.deps.config.url)
    url.searchParams.set('token', token)
    return {
      row,
      writes: [
        verificationUpsert(row),
        ...ctx.deps.services.mail.enqueue(
          target.emailAddress,
          { kind: 'verification_link', url: url.href, purpose: target.purpose },
          { emailAddressId: target.emailAddressId, userId: target.userId },
        ),
      ],
    }
  },
  attempt: async (ctx, { row, clientId }, input) => {
    const secrets = ctx.deps.services.verifications.secrets
    const stored = row?.secret_hash ?? ''
    if (!row || input.token === undefined || !safeEqual(secrets.lookup(input.token), stored)) {
      throw ApiError.of('verification_missing')
    }
    if (row.client_id !== null && row.client_id !== clientId) {
      throw ApiError.of('verification_client_mismatch')
    }
  },
}

/** Where the link may send the browser: an absolute http(s) URL on an allowed origin. */
async function allowedRedirect(
  deps: Parameters<NonNullable<VerificationStrategy['prepare']>>[0]['deps'],
  redirectUrl: string | undefined,
): Promise<string | null> {
  if (redirectUrl === undefined) return null
  let url: URL
  try {
    url = new URL(redirectUrl)
  } catch {
    throw invalidRedirect()
  }
  const httpish = url.protocol === 'https:' || url.protocol === 'http:'
  if (!httpish || !(await deps.services.instance.isAllowedOrigin(url.origin)))
    throw invalidRedirect()
  return url.href
}

const invalidRedirect = () =>
  ApiError.of('form_param_value_invalid', {
    longMessage: 'redirect_url must be an absolute URL on an allowed origin.',
    meta: { param_name: 'redirect_url' },
  })
