import type { Router } from '../http/define-route.js'
import type { Services } from '../services.js'
import { forDevelopmentOrigin } from './development-environment.js'
import { environmentDocument } from './environment.document.js'

async function environment(services: Services) {
  return environmentDocument({
    ...(await services.instance.environmentInput()),
    social: await services.oauthConnections.socialSettings(),
    enterpriseSso: await services.enterpriseConnections.anyActive(),
  })
}

export function environmentRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/environment',
    // The instance's public configuration, the same for every caller.
    cacheable: true,
    handler: async ({ services }) => ({ response: await environment(services), bare: true }),
  })
  // clerk-js sends this instead of the GET with a `pk_test_` key (a development instance
  // records the calling origin). Clerk answers the environment; so does Latchkey, which records
  // nothing: allowed origins are the operator's to set, and a PATCH from any other origin is
  // refused like every state-changing call (origin_invalid). Its redirect defaults stay on the
  // caller's origin, which Clerk's development-instance code needs (development-environment.ts).
  r.fapi({
    method: 'PATCH',
    path: '/v1/environment',
    handler: async ({ services, origin }) => ({
      response: forDevelopmentOrigin(
        await environment(services),
        (await services.instance.settings()).paths,
        origin,
      ),
      bare: true,
    }),
  })
}
