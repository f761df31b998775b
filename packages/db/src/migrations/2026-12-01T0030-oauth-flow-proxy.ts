import type { Kysely } from 'kysely'

/*
 * Issue #18: where an OAuth flow's browser keeps its client cookie when it talks to the Frontend
 * API through the app's own proxy path (`proxyUrl: '/__clerk'`). The provider sends the browser
 * back to Latchkey's own `/v1/oauth_callback`, which that cookie does not reach; the callback
 * then forwards the authorization response to `<proxy_url>/v1/oauth_callback`, where it does.
 * Null for a flow started directly against Latchkey's URL.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_flows').addColumn('proxy_url', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_flows').dropColumn('proxy_url').execute()
}
