import type { Kysely } from 'kysely'

/*
 * The per-account limit on second factors (MFA hardening after issue #17): consecutive wrong
 * TOTP, backup and email codes, at sign-in and step-up alike, and until when the account
 * refuses second factors after too many. Kept apart from the password's `failed_attempts` and
 * `lockout_until`: a right password clears those (an attacker who has it would clear them at
 * every new sign-in), and a password lockout must not stop the owner's code from the inbox
 * followed by their authenticator. A right second factor clears both.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('second_factor_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('users').addColumn('second_factor_locked_until', 'bigint').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('second_factor_locked_until').execute()
  await db.schema.alterTable('users').dropColumn('second_factor_failures').execute()
}
