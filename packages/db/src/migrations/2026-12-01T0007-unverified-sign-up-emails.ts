import { type Kysely, sql } from 'kysely'

/*
 * Public sign-up used to store the address it was given as verified, so tokens, userinfo and the
 * user resource said `email_verified: true` for an address nobody proved (issue #13). No row
 * records a proof, so this migration cannot tell a proved address from an unproved one; what it
 * can tell is which addresses came from a public sign-up — the sign-up row names its user and its
 * address — and none of those was proved. They become unverified. Addresses an operator created
 * through the Backend API (no sign-up row) stay verified, as Clerk treats them.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update email_addresses set verified = 0, updated_at = ${Date.now()}
    where verified = 1 and exists (
      select 1 from sign_ups s
      where s.created_user_id = email_addresses.user_id
        and s.email_address = email_addresses.email_address
    )`.execute(db)
}

// Nothing to undo: which of these addresses were later proved cannot be known either.
export async function down(): Promise<void> {}
