import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import * as repo from './instance-stats.repository.js'

export type InstanceStatsJSON = {
  object: 'instance_stats'
  users: number
  active_sessions: number
  days: { date: string; sign_ups: number; sign_ins: number }[]
}

/**
 * The dashboard's overview figures (issue #20): users, active sessions, and per UTC day the
 * sign-ups (users created) and sign-ins (sessions created), oldest first, every day present.
 */
export class InstanceStatsService {
  readonly #d: { db: Kysely<Database>; clock: Clock }

  constructor(deps: { db: Kysely<Database>; clock: Clock }) {
    this.#d = deps
  }

  async stats(days: number): Promise<InstanceStatsJSON> {
    const { db, clock } = this.#d
    const now = clock.now()
    const today = Math.floor(now / repo.DAY_MS)
    const first = today - days + 1
    const from = first * repo.DAY_MS
    const [users, activeSessions, signUps, signIns] = await Promise.all([
      repo.countUsers(db),
      repo.countActiveSessions(db, now),
      repo.createdPerDay(db, 'users', from),
      repo.createdPerDay(db, 'sessions', from),
    ])
    const out: InstanceStatsJSON['days'] = []
    for (let day = first; day <= today; day++) {
      out.push({
        date: new Date(day * repo.DAY_MS).toISOString().slice(0, 10),
        sign_ups: signUps.get(day) ?? 0,
        sign_ins: signIns.get(day) ?? 0,
      })
    }
    return { object: 'instance_stats', users, active_sessions: activeSessions, days: out }
  }
}
