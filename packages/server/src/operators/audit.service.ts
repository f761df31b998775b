import { newId } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import * as repo from './audit.repository.js'

/** Who an audit event is about: an operator (by user id; null when no user was found). */
export type AuditActor = { userId: string | null; credentialId: string | null }

/** One event to record. */
export type AuditEntry = {
  actor: AuditActor
  action: string
  method: string
  route: string
  targetId: string | null
  statusCode: number
  device: { userAgent: string | undefined; ipAddress: string }
}

/** Clerk-style JSON of an audit event (a Latchkey addition, issue #20). */
export type AuditEventJSON = {
  object: 'audit_event'
  id: string
  actor: { type: string; id: string | null; email_address: string | null }
  action: string
  method: string
  route: string
  target_id: string | null
  status_code: number
  ip: string | null
  user_agent: string | null
  created_at: number
}

const toJSON = (r: repo.AuditListRow): AuditEventJSON => ({
  object: 'audit_event',
  id: r.id,
  actor: { type: r.actor_type, id: r.actor_id, email_address: r.actor_email_address },
  action: r.action,
  method: r.method,
  route: r.route,
  target_id: r.target_id,
  status_code: r.status_code,
  ip: r.ip,
  user_agent: r.user_agent,
  created_at: r.created_at,
})

/**
 * The audit log: what operators did through the Backend API with their credential (who, what,
 * when, with what outcome), and their sign-ins and sign-outs. Secret-key calls are an app's
 * backend at work, not a person's, and are not recorded.
 */
export class AuditService {
  readonly #d: { db: Kysely<Database>; clock: Clock }

  constructor(deps: { db: Kysely<Database>; clock: Clock }) {
    this.#d = deps
  }

  async record(e: AuditEntry): Promise<void> {
    await repo.insertAuditEvent(this.#d.db, {
      id: newId('auditEvent'),
      actor_type: 'operator',
      actor_id: e.actor.userId,
      credential_id: e.actor.credentialId,
      action: e.action.slice(0, 256),
      method: e.method,
      route: e.route,
      target_id: e.targetId,
      status_code: e.statusCode,
      ip: e.device.ipAddress,
      user_agent: e.device.userAgent?.slice(0, 512) ?? null,
      created_at: this.#d.clock.now(),
    })
  }

  async list(f: { actorId?: string | undefined; limit: number; offset: number }) {
    return (await repo.listAuditEvents(this.#d.db, f)).map(toJSON)
  }

  count(actorId: string | undefined): Promise<number> {
    return repo.countAuditEvents(this.#d.db, actorId)
  }
}
