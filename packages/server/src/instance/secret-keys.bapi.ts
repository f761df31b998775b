import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, nameField } from '../http/params.js'

/** A key's label: trimmed, one line, at most 100 characters; blank means none. */
const label = nameField
  .pipe(z.string().max(100))
  .transform((v) => (v === '' ? null : v))
  .nullable()
  .optional()

/**
 * The Backend API's own secret keys (a Latchkey addition, issue #20; Clerk keeps them in its
 * dashboard, and the CLI's `secret-keys` does the same on the database). The secret is in the
 * issuing answer only: it is stored as SHA-256. A revoked key is refused by every process from
 * its next request (the change feed, secret-keys.service.ts). The provisioned
 * `LATCHKEY_SECRET_KEY` is not stored, so it is neither listed nor revocable here.
 */
export function secretKeyRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/secret_keys',
    handler: async ({ services }) =>
      (await services.secretKeys.list()).map((k) => ({ object: 'secret_key', ...k })),
  })
  r.bapi({
    method: 'POST',
    path: '/v1/secret_keys',
    body: z.strictObject({ label }),
    handler: async ({ body, services }) => ({
      object: 'secret_key',
      ...(await services.secretKeys.issue(undefined, body.label ?? null)),
    }),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/secret_keys/:id',
    params: z.object({ id: idParam('ak') }),
    handler: async ({ params, services }) => {
      await services.secretKeys.revoke(params.id)
      return { object: 'secret_key', id: params.id, deleted: true }
    },
  })
}
