import { ApiError } from '@latchkey/contracts'
import { newVerificationRow } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'
import { verificationUpsert } from '../verifications.repository.js'

/**
 * `enterprise_sso` (and `saml`, its older name, which clerk-js may still send) (issue #18 item
 * 4): the identifier's email domain chooses the active enterprise connection, and the person
 * proves an account at that IdP. For SAML, prepare builds the AuthnRequest redirect (the flow
 * keeps its id and RelayState); the ACS checks and stores the IdP's answer, and the attempt —
 * the browser's callback — uses it once. For OpenID Connect, prepare builds the authorize
 * redirect (state, nonce, PKCE) and the attempt redeems the callback's code. What the answer
 * proves about the address is decided by the connection's domains, in enterprise-sso/, never
 * here.
 */
export function enterpriseSsoStrategy(name: 'enterprise_sso' | 'saml'): VerificationStrategy {
  return {
    name,
    // Offered (as `enterprise_sso`, never the older name) when the identifier's domain has an
    // active connection: sign-in-factors.ts decides that and offers nothing else then.
    factors: (s) => (name === 'enterprise_sso' && s.enterpriseSso ? [{ strategy: name }] : []),
    prepare: async (ctx, target, input) => {
      if (!target.emailAddress) {
        const param = target.purpose === 'sign_up' ? 'email_address' : 'identifier'
        throw ApiError.of('form_param_missing', { meta: { param_name: param } })
      }
      const connection = await ctx.deps.services.enterpriseConnections.forEmail(target.emailAddress)
      if (!connection) throw ApiError.of('saml_connection_active_not_found')
      const base = {
        ...newVerificationRow(ctx, target, name),
        email_address: target.emailAddress,
      }
      const v = { id: base.id, ownerId: target.ownerId, clientId: target.clientId ?? '' }
      const flow =
        connection.protocol === 'oidc'
          ? await ctx.deps.services.enterpriseOidc.beginFlow(connection, v, {
              ...input,
              loginHint: target.emailAddress,
            })
          : await ctx.deps.services.saml.beginFlow(connection, v, input)
      const row = { ...base, redirect_url: flow.authorizeUrl, expire_at: flow.expireAt }
      return { row, writes: [verificationUpsert(row), flow.write] }
    },
    attempt: async (ctx, { row }, input) => {
      if (!row) throw ApiError.of('verification_missing')
      const { enterpriseConnections, enterpriseOidc, externalAccounts } = ctx.deps.services
      // OIDC: the callback carries the code to redeem. SAML: the ACS stored the IdP's answer.
      const flow = await externalAccounts.flowOfVerification(row.id)
      const connection = flow && (await enterpriseConnections.find(flow.provider))
      if (flow && connection?.protocol === 'oidc') {
        if (!input.callbackUrl) throw ApiError.of('verification_missing')
        await enterpriseOidc.exchange(flow, input.callbackUrl)
        return
      }
      await externalAccounts.consumeAnswered(row.id)
    },
  }
}

export const enterpriseSso = enterpriseSsoStrategy('enterprise_sso')
export const saml = enterpriseSsoStrategy('saml')
