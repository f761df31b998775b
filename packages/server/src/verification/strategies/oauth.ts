import { ApiError } from '@latchkey/contracts'
import { newVerificationRow } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'
import { verificationUpsert } from '../verifications.repository.js'

/**
 * `oauth_<provider>` (issue #18): the person proves an account at an upstream OpenID Connect
 * provider. Prepare sends nothing: the verification's redirect is the provider's authorize URL
 * (state, nonce, PKCE S256), expiring in 10 minutes and bound to the sign-in's client. The
 * attempt is the callback: external-accounts exchanges the code once and checks the ID token.
 * What the account then proves about an email address is decided there, never here.
 */
export function oauthStrategy(name: string): VerificationStrategy {
  const provider = name.slice('oauth_'.length)
  return {
    name,
    factors: () => [],
    prepare: async (ctx, target, input) => {
      const base = { ...newVerificationRow(ctx, target, name), email_address: null }
      const flow = await ctx.deps.services.externalAccounts.beginFlow(
        provider,
        { id: base.id, ownerId: target.ownerId, clientId: target.clientId ?? '' },
        input,
      )
      const row = { ...base, redirect_url: flow.authorizeUrl, expire_at: flow.expireAt }
      return { row, writes: [verificationUpsert(row), flow.write] }
    },
    attempt: async (ctx, { row }, input) => {
      if (!row || !input.callbackUrl) throw ApiError.of('verification_missing')
      await ctx.deps.services.externalAccounts.exchange(row.id, input.callbackUrl)
    },
  }
}
