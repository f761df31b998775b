import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, listResponse, pageQuery } from '../http/params.js'
import type { RestrictionSettings } from '../instance/sign-up-settings.js'
import type { ListName } from './restriction-identifiers.service.js'
import { RESTRICTIONS_ON_SIGN_IN } from './sign-up-policy.service.js'

const flag = z.boolean().nullable().optional()
/** A Clerk restriction Latchkey does not have: only its "off" value is accepted. */
const unsupported = (what: string) =>
  z
    .boolean()
    .nullable()
    .optional()
    .refine((v) => v !== true, `${what} is not supported by Latchkey`)

const UpdateRestrictions = z.strictObject({
  allowlist: flag,
  blocklist: flag,
  block_email_subaddresses: flag,
  // Latchkey holds restrictions at sign-up only (sign-up-policy.service.ts): only that is accepted.
  allowlist_blocklist_disabled_on_sign_in: z
    .boolean()
    .nullable()
    .optional()
    .refine(
      (v) => v === null || v === undefined || v === !RESTRICTIONS_ON_SIGN_IN,
      'restrictions apply at sign-up only in Latchkey',
    ),
  block_disposable_email_domains: unsupported('blocking disposable email domains'),
  ignore_dots_for_gmail_addresses: unsupported('ignoring dots in Gmail addresses'),
})

/** Clerk's `InstanceRestrictions`. */
export function restrictionsJSON(r: RestrictionSettings) {
  return {
    object: 'instance_restrictions' as const,
    allowlist: r.allowlist,
    blocklist: r.blocklist,
    allowlist_blocklist_disabled_on_sign_in: !RESTRICTIONS_ON_SIGN_IN,
    block_email_subaddresses: r.block_email_subaddresses,
    block_disposable_email_domains: false,
  }
}

const CreateIdentifier = z.strictObject({
  identifier: z.string().max(320),
  // Clerk can send an invitation to an allow-listed address; invitations are not built yet, so
  // only "don't notify" is accepted rather than silently sending nothing.
  notify: z
    .boolean()
    .optional()
    .refine((v) => v !== true, 'invitations are not supported by Latchkey yet'),
})
const ListQuery = z.object(pageQuery(10)) // Clerk's default page: 10

function identifierRoutes(r: Router, list: ListName, prefix: string): void {
  const path = `/v1/${list}_identifiers`
  r.bapi({
    method: 'GET',
    path,
    query: ListQuery,
    handler: async ({ query, services }) => {
      const data = await services.restrictionIdentifiers.list(list, query.limit, query.offset)
      // Clerk answers the blocklist as `{ data, total_count }` always, the allowlist only when
      // `paginated=true` (bapi spec: BlocklistIdentifiers, AllowlistIdentifier.List).
      const paginated = list === 'blocklist' || query.paginated
      return listResponse(data, paginated, () => services.restrictionIdentifiers.count(list))
    },
  })
  r.bapi({
    method: 'POST',
    path,
    body: CreateIdentifier,
    handler: ({ body, services }) => services.restrictionIdentifiers.create(list, body.identifier),
  })
  r.bapi({
    method: 'DELETE',
    path: `${path}/:identifier_id`,
    params: z.object({ identifier_id: idParam(prefix) }),
    handler: ({ params, services }) =>
      services.restrictionIdentifiers.remove(list, params.identifier_id),
  })
}

/**
 * Clerk's restrictions (`PATCH /v1/instance/restrictions`) and allowlist / blocklist identifiers.
 * `GET /v1/instance/restrictions` is a Latchkey addition (Clerk shows them in its dashboard).
 */
export function restrictionRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/instance/restrictions',
    handler: async ({ services }) =>
      restrictionsJSON((await services.instance.settings()).restrictions),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/restrictions',
    body: UpdateRestrictions,
    handler: async ({ body, services }) => {
      const next = { ...(await services.instance.settings()).restrictions }
      for (const key of ['allowlist', 'blocklist', 'block_email_subaddresses'] as const) {
        const v = body[key]
        if (typeof v === 'boolean') next[key] = v
      }
      await services.instance.updateSettings({ restrictions: next })
      return restrictionsJSON(next)
    },
  })
  identifierRoutes(r, 'allowlist', 'alid')
  identifierRoutes(r, 'blocklist', 'blid')
}
