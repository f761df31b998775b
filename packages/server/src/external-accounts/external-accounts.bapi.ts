import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, listResponse, pageQuery } from '../http/params.js'

const TokenParams = z.object({
  user_id: idParam('user'),
  provider: z
    .string()
    .regex(/^(oauth_)?[a-z0-9_-]+$/)
    .max(64),
})
const TokenQuery = z.object(pageQuery(10))
const AccountParams = z.object({
  user_id: idParam('user'),
  external_account_id: idParam('eac'),
})

/**
 * The app's backend and a user's linked accounts: Clerk's `GetOAuthAccessToken`
 * (`@clerk/backend` `users.getUserOauthAccessToken(userId, provider)`) — the provider's access
 * token for each of the user's accounts there, refreshed when it expired and the provider gave a
 * refresh token — and `DeleteExternalAccount` (the operator may remove any, even the last way in).
 */
export function externalAccountRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/users/:user_id/oauth_access_tokens/:provider',
    params: TokenParams,
    query: TokenQuery,
    handler: async ({ params, query, services }) => {
      await services.users.getById(params.user_id)
      // Only the page's accounts are refreshed; a user has few accounts at one provider.
      const all = await services.externalAccounts.accessTokens(params.user_id, params.provider, {
        limit: query.limit,
        offset: query.offset,
      })
      return listResponse(all.data, query.paginated, async () => all.total)
    },
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id/external_accounts/:external_account_id',
    params: AccountParams,
    handler: async ({ params, services }) => {
      await services.users.getById(params.user_id)
      await services.externalAccounts.remove(params.user_id, params.external_account_id, false)
      return { object: 'external_account', id: params.external_account_id, deleted: true }
    },
  })
}
