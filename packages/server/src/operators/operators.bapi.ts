import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'

const UserParams = z.object({ user_id: idParam('user') })

/**
 * Operators: users who may sign in to the dashboard (a Latchkey addition, issue #20). Any
 * Backend API caller may manage them — a secret key already reaches every user and setting.
 */
export function operatorRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/operators',
    handler: ({ services }) => services.operators.list(),
  })
  r.bapi({
    method: 'POST',
    path: '/v1/operators',
    body: z.strictObject({ user_id: idParam('user') }),
    handler: ({ body, services }) => services.operators.add(body.user_id),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/operators/:user_id',
    params: UserParams,
    handler: async ({ params, services }) => {
      await services.operators.remove(params.user_id)
      return { object: 'operator', id: params.user_id, deleted: true }
    },
  })
}
