import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'

/** One signing secret of an endpoint; `expires_at` set while a rotation phases it out. */
export type EndpointSecret = { secret: string; expires_at: number | null }

/** A new secret in Svix's format: `whsec_` + base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** The secrets that sign at `now`: the current one and those a rotation has not yet retired. */
export function activeSecrets(secrets: readonly EndpointSecret[], now: number): EndpointSecret[] {
  return secrets.filter((s) => s.expires_at === null || s.expires_at > now)
}

/**
 * The headers of one delivery attempt, Svix's (`svix-id`, `svix-timestamp`, `svix-signature`,
 * which Clerk's users verify with `svix`) and the same values under Standard Webhooks' names
 * (`webhook-*`, which `standardwebhooks` reads). The signature is `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` per active secret, space-separated: during a rotation a receiver
 * holding either secret verifies. Signed by the `standardwebhooks` library, not by hand.
 */
export function signedHeaders(
  id: string,
  nowMs: number,
  body: string,
  secrets: readonly EndpointSecret[],
): Record<string, string> {
  const at = new Date(Math.floor(nowMs / 1000) * 1000)
  const signature = secrets.map((s) => new Webhook(s.secret).sign(id, at, body)).join(' ')
  const timestamp = String(Math.floor(nowMs / 1000))
  return {
    'content-type': 'application/json',
    'user-agent': 'Latchkey-Webhooks/1',
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': signature,
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  }
}
