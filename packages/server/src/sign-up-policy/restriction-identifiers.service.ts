import { ApiError, type InstanceId, newId } from '@latchkey/contracts'
import { type Database, isUniqueViolation, type RestrictionIdentifierRow } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import { normalizeIdentifier } from './identifiers.js'
import type { ListName } from './restriction-identifiers.repository.js'
import * as repo from './restriction-identifiers.repository.js'

export type { ListName } from './restriction-identifiers.repository.js'

const OBJECT = { allowlist: 'allowlist_identifier', blocklist: 'blocklist_identifier' } as const
const ID_KIND = { allowlist: 'allowlistIdentifier', blocklist: 'blocklistIdentifier' } as const

/** Clerk's `AllowlistIdentifier` / `BlocklistIdentifier`. */
export function identifierToJSON(
  list: ListName,
  row: RestrictionIdentifierRow,
  instanceId: string,
) {
  return {
    object: OBJECT[list],
    id: row.id,
    identifier: row.identifier,
    identifier_type: row.identifier_type,
    instance_id: instanceId,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export type IdentifierJSON = ReturnType<typeof identifierToJSON>

/** The allowlist and blocklist identifiers an operator keeps through the Backend API. */
export class RestrictionIdentifiersService {
  private readonly d: {
    db: Kysely<Database>
    clock: Clock
    instanceId: () => InstanceId
  }

  constructor(deps: {
    db: Kysely<Database>
    clock: Clock
    instanceId: () => InstanceId
  }) {
    this.d = deps
  }

  async list(list: ListName, limit: number, offset: number): Promise<IdentifierJSON[]> {
    const rows = await repo.listIdentifiers(this.d.db, list, limit, offset)
    return rows.map((r) => identifierToJSON(list, r, this.d.instanceId()))
  }

  count(list: ListName): Promise<number> {
    return repo.countIdentifiers(this.d.db, list)
  }

  /** Adds one; the same identifier twice is Clerk's `duplicate_record` (400), nothing written. */
  async create(list: ListName, raw: string): Promise<IdentifierJSON> {
    const identifier = normalizeIdentifier(raw)
    const now = this.d.clock.now()
    const row: RestrictionIdentifierRow = {
      id: newId(ID_KIND[list]),
      identifier,
      identifier_type: 'email_address',
      created_at: now,
      updated_at: now,
    }
    try {
      await repo.insertIdentifier(this.d.db, list, row)
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      throw ApiError.of('duplicate_record', {
        longMessage: `the identifier ${identifier} already exists`,
        meta: { param_name: 'identifier' },
        cause: error,
      })
    }
    return identifierToJSON(list, row, this.d.instanceId())
  }

  async remove(list: ListName, id: string): Promise<{ object: string; id: string; deleted: true }> {
    if (!(await repo.deleteIdentifier(this.d.db, list, id))) {
      throw ApiError.of('resource_not_found', {
        longMessage: `No identifier was found with id ${id}`,
      })
    }
    return { object: OBJECT[list], id, deleted: true }
  }
}
