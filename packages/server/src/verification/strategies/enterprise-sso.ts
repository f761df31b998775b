import { ApiError } from '@latchkey/contracts'
import { newVerificationRow } from '../otp.js'
import type { SignInFactor, VerificationStrategy } from '../strategy.js'
import { verificationUpsert } from '../verifications.repository.js'

/**
 * `enterprise_sso` (and `saml`, its older name, which clerk-js may still send) (issue #18 item
 * 4): the identifier's email domain chooses the active enterprise connection, and the person
 * proves an account at that IdP. Prepare builds the SAML AuthnRequest redirect (the flow keeps
 * its id and RelayState); the ACS checks and stores the IdP's answer, and the attempt — the
 * browser's callback — uses it once. What the answer proves about the address is decided by the
 * connection's domains, in enterprise-sso/, never here.
 */
/**
 * What a sign-in whose identifier's domain has an active enterprise connection offers: that
 * connection, and nothing else (Clerk: the domain's IdP is the way in, so clerk-js goes straight
 * to it). Only under `enterprise_sso`; `saml` is accepted but never offered. The user may not
 * exist yet (the IdP's answer then leads to a sign-up), so this needs no user.
 */
export function enterpriseSsoFactors(
  connection: { id: string; protocol: string } | undefined,
): SignInFactor[] {
  return connection ? [{ strategy: 'enterprise_sso' }] : []
}

export function enterpriseSsoStrategy(name: 'enterprise_sso' | 'saml'): VerificationStrategy {
  return {
    name,
    factors: (s) => (name === 'enterprise_sso' ? enterpriseSsoFactors(s.enterpriseConnection) : []),
    prepare: async (ctx, target, input) => {
      if (!target.emailAddress)
        throw ApiError.of('form_param_missing', { meta: { param_name: 'identifier' } })
      const connection = await ctx.deps.services.enterpriseConnections.forEmail(target.emailAddress)
      if (connection?.protocol !== 'saml') throw ApiError.of('saml_connection_active_not_found')
      const base = {
        ...newVerificationRow(ctx, target, name),
        email_address: target.emailAddress,
      }
      const flow = await ctx.deps.services.saml.beginFlow(
        connection,
        { id: base.id, ownerId: target.ownerId, clientId: target.clientId ?? '' },
        input,
      )
      const row = { ...base, redirect_url: flow.authorizeUrl, expire_at: flow.expireAt }
      return { row, writes: [verificationUpsert(row), flow.write] }
    },
    attempt: async (ctx, { row }) => {
      if (!row) throw ApiError.of('verification_missing')
      await ctx.deps.services.externalAccounts.consumeAnswered(row.id)
    },
  }
}

export const enterpriseSso = enterpriseSsoStrategy('enterprise_sso')
export const saml = enterpriseSsoStrategy('saml')
