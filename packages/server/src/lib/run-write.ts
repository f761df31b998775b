import type { Database, Write } from '@latchkey/db'
import type { Transaction } from 'kysely'

/** Runs one write of a group (`writeAtomically`'s unit) inside the caller's transaction. */
export async function runWrite(trx: Transaction<Database>, write: Write): Promise<void> {
  await trx.executeQuery(write(trx).compile())
}
