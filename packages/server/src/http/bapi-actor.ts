import type { FastifyRequest } from 'fastify'
import type { OperatorActor } from '../operators/operator-credentials.service.js'

/**
 * Who made a Backend API request: a secret key (an app's backend, the CLI's provisioned key) or
 * an operator's `lk_op_…` credential (the dashboard). Set by the `bapi` preHandler once the
 * credential is accepted, read by the handler (`ctx.actor`) and the audit hook.
 */
export type BapiActor = { readonly type: 'secret_key' } | OperatorActor

/** Kept beside the request rather than on it (STYLE.md §9: no ad-hoc request properties). */
const actors = new WeakMap<FastifyRequest, BapiActor>()

export function setActor(req: FastifyRequest, actor: BapiActor): void {
  actors.set(req, actor)
}

/** The request's actor, once authenticated; undefined before, or on a route without auth. */
export function actorOf(req: FastifyRequest): BapiActor | undefined {
  return actors.get(req)
}
