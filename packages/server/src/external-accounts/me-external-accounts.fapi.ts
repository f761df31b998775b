import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import type { Services } from '../services.js'
import { Acting, actingSession } from '../users/acting-session.js'

const STEP_LIMIT = { max: 5, windowMs: 10_000 }
const AccountParams = z.object({ external_account_id: idParam('eac') })
const Scopes = z
  .union([z.string().max(2048), z.array(z.string().max(256)).max(50)])
  .optional()
  .transform((v) =>
    v === undefined ? [] : (Array.isArray(v) ? v : v.split(/[\s,]+/)).filter(Boolean),
  )
  .refine((list) => list.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)), {
    message: 'scopes are printable characters without quotes or backslashes',
  })
const Connect = z.object({
  strategy: z
    .string()
    .regex(/^oauth_[a-z0-9_-]+$/)
    .max(64),
  redirect_url: z.string().max(2048).optional(),
  action_complete_redirect_url: z.string().max(2048).optional(),
  additional_scope: Scopes,
  'additional_scope[]': Scopes,
})
const Reauthorize = z.object({
  redirect_url: z.string().max(2048),
  action_complete_redirect_url: z.string().max(2048).optional(),
  additional_scope: Scopes,
  'additional_scope[]': Scopes,
})

async function ownAccount(services: Services, userId: string, id: string) {
  const account = await services.externalAccounts.findAccountById(id)
  if (!account || account.user_id !== userId)
    throw ApiError.of('resource_not_found', { longMessage: `No external account ${id}.` })
  return account
}

/**
 * The signed-in user's linked accounts, Clerk's `/v1/me/external_accounts` (clerk-js
 * `user.createExternalAccount()`, `externalAccount.reauthorize()`, `externalAccount.destroy()`):
 * connect another provider (a redirect bound to this session, whose callback links the provider's
 * account to this user), reauthorize one with more scopes, disconnect one unless it is the last
 * way in. Each asks for a recent step-up when the operator turned reverification on.
 */
export function meExternalAccountRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/me/external_accounts',
    query: Acting,
    body: Connect,
    rateLimit: STEP_LIMIT,
    handler: async ({ query, body, client, services, proxyUrl }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      // Linking an account lets whoever holds it sign in as this user: step-up first, when on.
      await services.sessionVerifications.requireRecent(s)
      const provider = body.strategy.slice('oauth_'.length)
      const response = await services.externalAccounts.beginConnect(s, provider, {
        redirectUrl: body.redirect_url,
        actionCompleteRedirectUrl: body.action_complete_redirect_url,
        // Through the app's proxy, the provider's return hops there for the app's cookie.
        proxyUrl,
        additionalScopes: [...body.additional_scope, ...body['additional_scope[]']],
      })
      return { response }
    },
  })
  r.fapi({
    method: 'PATCH',
    path: '/v1/me/external_accounts/:external_account_id/reauthorize',
    query: Acting,
    params: AccountParams,
    body: Reauthorize,
    rateLimit: STEP_LIMIT,
    handler: async ({ query, params, body, client, services, proxyUrl }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      const account = await ownAccount(services, s.user_id, params.external_account_id)
      await services.sessionVerifications.requireRecent(s)
      const response = await services.externalAccounts.beginConnect(
        s,
        account.provider,
        {
          redirectUrl: body.redirect_url,
          actionCompleteRedirectUrl: body.action_complete_redirect_url,
          proxyUrl,
          additionalScopes: [
            ...account.approved_scopes.split(' ').filter(Boolean),
            ...body.additional_scope,
            ...body['additional_scope[]'],
          ],
        },
        account,
      )
      return { response }
    },
  })
  r.fapi({
    method: 'DELETE',
    path: '/v1/me/external_accounts/:external_account_id',
    query: Acting,
    params: AccountParams,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      await ownAccount(services, s.user_id, params.external_account_id)
      await services.sessionVerifications.requireRecent(s)
      await services.externalAccounts.remove(s.user_id, params.external_account_id, true)
      return {
        response: { object: 'external_account', id: params.external_account_id, deleted: true },
      }
    },
  })
}
