import type { Database, WebhookEndpointRow } from '@latchkey/db'
import type { Kysely } from 'kysely'

type Db = Kysely<Database>

export async function insertEndpoint(db: Db, row: WebhookEndpointRow): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute()
}

export function findEndpoint(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst()
}

export function listEndpoints(db: Db): Promise<WebhookEndpointRow[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

export async function updateEndpoint(
  db: Db,
  id: string,
  patch: Partial<Omit<WebhookEndpointRow, 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('webhook_endpoints').set(patch).where('id', '=', id).execute()
}

/** Deletes an endpoint with its deliveries and their attempts; false when there was none. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_attempts').where('endpoint_id', '=', id).execute()
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute()
    const r = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  })
}

/** After a failed attempt: the run of failures starts now unless it started earlier. */
export async function markFailing(db: Db, id: string, now: number, disable: boolean) {
  await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      failing_since: eb.fn.coalesce('failing_since', eb.val(now)),
      ...(disable ? { enabled: 0, disabled_reason: 'failing', updated_at: now } : {}),
    }))
    .where('id', '=', id)
    .execute()
}

/** After a successful attempt: the endpoint is no longer failing. */
export async function markHealthy(db: Db, id: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: null })
    .where('id', '=', id)
    .where('failing_since', 'is not', null)
    .execute()
}
