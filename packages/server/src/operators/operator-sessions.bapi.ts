import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { BapiActor } from '../http/bapi-actor.js'
import type { Router } from '../http/define-route.js'
import { SIGN_IN_CREATE_LIMIT } from '../sign-ins/sign-ins.fapi.js'
import type { OperatorActor } from './operator-credentials.service.js'

const SignIn = z.object({
  identifier: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  code: z.string().max(64).optional(),
})

/** The current-credential routes answer only an operator credential, not a secret key. */
function operatorOf(actor: BapiActor | undefined): OperatorActor {
  if (actor?.type === 'operator') return actor
  throw ApiError.of('resource_not_found', {
    longMessage: 'This request was not made with an operator credential (lk_op_…).',
  })
}

/**
 * Operator sign-in and its credential (a Latchkey addition, issue #20).
 *
 * `POST /v1/operator_sessions` is the one Backend API route without a credential: anyone may
 * try, so it is limited per client IP like the Frontend API's sign-in creation, and the password
 * and second factor go through the Frontend API's own checks and lockouts. It has no CORS: a page
 * on another origin cannot read the token it answers.
 */
export function operatorSessionRoutes(r: Router): void {
  r.bapi({
    method: 'POST',
    path: '/v1/operator_sessions',
    auth: 'none',
    rateLimit: SIGN_IN_CREATE_LIMIT,
    body: SignIn,
    handler: ({ body, services, device }) => services.operatorCredentials.signIn(body, device),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/operator_sessions/current',
    handler: ({ actor, services }) => services.operatorCredentials.current(operatorOf(actor)),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/operator_sessions/current',
    auditAction: 'operator.sign_out',
    handler: ({ actor, services }) => services.operatorCredentials.signOut(operatorOf(actor)),
  })
}
