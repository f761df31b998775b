import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, listResponse, pageQuery } from '../http/params.js'

const ListAudit = z.object({
  ...pageQuery(50),
  actor_id: idParam('user').optional(),
})

/** `GET /v1/audit_events`: the audit log, newest first (a Latchkey addition, issue #20). */
export function auditRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/audit_events',
    query: ListAudit,
    handler: async ({ query, services }) => {
      const data = await services.audit.list({
        actorId: query.actor_id,
        limit: query.limit,
        offset: query.offset,
      })
      return listResponse(data, query.paginated, () => services.audit.count(query.actor_id))
    },
  })
}
