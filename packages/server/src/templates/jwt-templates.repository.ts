import type { Database, JwtTemplateRow } from '@latchkey/db'
import type { Kysely, Transaction, Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findTemplate(db: Q, id: string): Promise<JwtTemplateRow | undefined> {
  return db.selectFrom('jwt_templates').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findTemplateByName(db: Q, name: string): Promise<JwtTemplateRow | undefined> {
  return db.selectFrom('jwt_templates').selectAll().where('name', '=', name).executeTakeFirst()
}

export async function insertTemplate(db: Q, row: JwtTemplateRow): Promise<void> {
  await db.insertInto('jwt_templates').values(row).execute()
}

export async function updateTemplate(
  db: Q,
  id: string,
  patch: Updateable<Database['jwt_templates']>,
): Promise<void> {
  await db.updateTable('jwt_templates').set(patch).where('id', '=', id).execute()
}

export async function deleteTemplate(db: Q, id: string): Promise<boolean> {
  const r = await db.deleteFrom('jwt_templates').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

export function listTemplates(db: Q, limit: number, offset: number): Promise<JwtTemplateRow[]> {
  return db
    .selectFrom('jwt_templates')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute()
}

export async function countTemplates(db: Q): Promise<number> {
  const r = await db
    .selectFrom('jwt_templates')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}
