import { ApiError } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import type { UsersService } from '../users/users.service.js'
import * as repo from './operators.repository.js'

/** Clerk-style JSON of an operator (a Latchkey addition, issue #20). */
export type OperatorJSON = {
  object: 'operator'
  user_id: string
  email_address: string | null
  created_at: number
}

const toJSON = (row: repo.OperatorListRow): OperatorJSON => ({
  object: 'operator',
  user_id: row.user_id,
  email_address: row.email_address,
  created_at: row.created_at,
})

/**
 * Who may sign in to the operator dashboard. Marking a user is an operator's act (the CLI, or
 * the Backend API with a secret key or another operator's credential): no one makes themself one.
 */
export class OperatorsService {
  readonly #d: { db: Kysely<Database>; clock: Clock; users: UsersService }

  constructor(deps: { db: Kysely<Database>; clock: Clock; users: UsersService }) {
    this.#d = deps
  }

  async list(): Promise<OperatorJSON[]> {
    return (await repo.listOperators(this.#d.db)).map(toJSON)
  }

  /** Makes a user an operator (404 for no such user); an operator already is answered as is. */
  async add(userId: string): Promise<OperatorJSON> {
    await this.#d.users.getById(userId)
    await repo.insertOperator(this.#d.db, userId, this.#d.clock.now())
    const row = await repo.findOperator(this.#d.db, userId)
    if (!row) throw ApiError.of('resource_not_found', { longMessage: `No user with id ${userId}.` })
    return toJSON(row)
  }

  /**
   * Ends a user's operator role and, in the same transaction, every credential they hold: each
   * request reads the credential with the role (operators.repository.ts), so every process
   * refuses them from the next request.
   */
  async remove(userId: string): Promise<void> {
    const removed = await this.#d.db
      .transaction()
      .execute((trx) => repo.deleteOperator(trx, userId))
    if (!removed)
      throw ApiError.of('resource_not_found', { longMessage: `${userId} is not an operator.` })
  }

  isOperator(userId: string): Promise<boolean> {
    return repo.isOperator(this.#d.db, userId)
  }

  /** The user an operator names on the command line: a user id, an email address or a username. */
  async resolveUser(ref: string): Promise<string> {
    if (/^user_[A-Za-z0-9]+$/.test(ref)) return (await this.#d.users.getById(ref)).id
    const user = await this.#d.users.findByIdentifier(ref)
    if (!user) throw ApiError.of('resource_not_found', { longMessage: `No user ${ref}.` })
    return user.id
  }
}
