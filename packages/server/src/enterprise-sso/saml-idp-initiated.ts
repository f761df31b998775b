import { timingSafeEqual } from 'node:crypto'
import { ApiError } from '@latchkey/contracts'
import { type EnterpriseConnectionRow, fromDbBool, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import { randomToken } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'

/** The owner and verification of a hand-over flow: no sign-in exists until the browser's GET. */
export const HANDOVER_OWNER = 'saml_idp_initiated'
/** The 303 from the ACS is followed at once; a hand-over older than this is refused. */
export const HANDOVER_TTL_MS = 2 * 60_000

/** What the ACS hands the browser: the one-time token (URL) and its binding secret (cookie). */
export type HandOver = { token: string; binding: string }

/**
 * IdP-initiated SAML sign-in (issue #18 item 4), opt-in per connection (`allow_idp_initiated`).
 * The IdP's POST to the ACS is cross-site, so it carries no `__client` cookie (SameSite=Lax):
 * the ACS validates the unsolicited response in full and stores its claims on a single-use,
 * short-lived flow (`oauth_flows`, owner {@link HANDOVER_OWNER}), then sends the browser by a
 * 303 to `GET /v1/saml/idp_initiated?token=…`. That top-level GET carries the client's cookie;
 * it starts an `enterprise_sso` sign-in for the client exactly as the SP-initiated flow does,
 * answers it with the stored claims and completes it (or transfers to a sign-up for a new
 * user), under the same address rules.
 *
 * The token in the URL is a bearer only together with a binding secret set as a cookie on the
 * ACS's 303: a token copied out of the URL (history, logs, a Referer) is refused in any other
 * browser. What no binding can prevent is login CSRF — an attacker posting their own assertion
 * through a victim's browser signs the victim in as the attacker; that is why it is opt-in
 * (docs/enterprise-sso.md, SECURITY.md).
 */
export class SamlHandOverService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * Stores validated claims for the browser's GET. `relayState` names where to land only when
   * it is an allowed redirect (this server or an allowed origin); anything else is ignored and
   * the instance's after-sign-in (or after-sign-up) URL is used.
   */
  async begin(
    row: EnterpriseConnectionRow,
    claims: ProviderClaims,
    relayState: string | undefined,
  ): Promise<HandOver> {
    // A URL or a path names a target; an IdP's opaque value (ADFS, some dashboards) does not.
    const named = relayState?.startsWith('/') || /^https?:\/\//i.test(relayState ?? '')
    const relay = named ? await this.allowedTarget(relayState) : undefined
    if (relayState && !relay)
      this.d.log.info({ connection: row.id }, 'saml idp-initiated RelayState ignored')
    const paths = await this.d.services.instance.paths()
    const afterSignIn = relay ?? (await this.allowedTarget(paths.after_sign_in_url))
    const afterSignUp = relay ?? (await this.allowedTarget(paths.after_sign_up_url))
    const fallback = new URL('/user', this.d.config.url).href
    const binding = randomToken(32)
    const accounts = this.d.services.externalAccounts
    // The flow's columns, for a hand-over: no verification, owner or client yet; the nonce is the
    // binding secret's HMAC; redirect_url / action_complete_redirect_url are where a sign-in /
    // a sign-up lands.
    const made = await accounts.newFlow(
      row.id,
      { id: HANDOVER_OWNER, ownerId: HANDOVER_OWNER, clientId: '' },
      {
        redirectUrl: afterSignIn ?? fallback,
        actionCompleteRedirectUrl: afterSignUp ?? fallback,
      },
      this.lookup(binding),
    )
    await writeAtomically(this.d.db, this.d.dialect, [made.write])
    if (!(await accounts.answerFlow(made.flow.id, claims)))
      throw ApiError.of('verification_already_verified')
    return { token: made.state, binding }
  }

  /**
   * The browser's GET: the hand-over is used once, in the browser it was handed to, within
   * {@link HANDOVER_TTL_MS}; then a sign-in on this client (a new client when it has none).
   * Answers where to send the browser and the client token to set, if any.
   */
  async complete(
    token: string,
    binding: string | undefined,
    clientId: string | undefined,
    device: Device,
  ): Promise<{ location: string; newClientToken?: string }> {
    const accounts = this.d.services.externalAccounts
    const flow = await accounts.findFlowByState(token)
    if (flow?.owner_id !== HANDOVER_OWNER || flow.verification_id !== HANDOVER_OWNER)
      throw ApiError.of('verification_missing')
    if (flow.used_at !== null) throw ApiError.of('verification_already_verified')
    if (!binding || !sameHash(this.lookup(binding), flow.nonce))
      throw ApiError.of('verification_client_mismatch')
    if (this.d.clock.now() - flow.created_at > HANDOVER_TTL_MS || !flow.claims)
      throw ApiError.of('verification_expired')
    if (!(await accounts.claimFlow(flow.id))) throw ApiError.of('verification_already_verified')
    const row = await this.d.services.enterpriseConnections.find(flow.provider)
    if (row?.protocol !== 'saml' || !fromDbBool(row.active) || !fromDbBool(row.allow_idp_initiated))
      throw ApiError.of('saml_idp_initiated_not_allowed')
    const claims = JSON.parse(flow.claims) as ProviderClaims
    return this.signIn(row, claims, flow.redirect_url, flow.action_complete_redirect_url, {
      clientId,
      device,
    })
  }

  /** The SP-initiated sign-in's steps, for this client, answered with the stored claims. */
  private async signIn(
    row: EnterpriseConnectionRow,
    claims: ProviderClaims,
    afterSignIn: string,
    afterSignUp: string | null,
    c: { clientId: string | undefined; device: Device },
  ): Promise<{ location: string; newClientToken?: string }> {
    const { signIns, signUps, verifications, externalAccounts } = this.d.services
    const started = await signIns.create(
      {
        strategy: 'enterprise_sso',
        identifier: claims.email ?? '',
        redirectUrl: afterSignIn,
        actionCompleteRedirectUrl: afterSignIn,
      },
      c.clientId,
      c.device,
    )
    let newClientToken = started.newClientToken
    const clientId = started.clientId
    const v = await verifications.find(started.signIn.id, 'first_factor')
    // The address's domain chose the connection again; it must be the one that asserted it.
    if (!v || !(await externalAccounts.answerFlowOf(v.id, row.id, claims)))
      throw ApiError.of('saml_connection_active_not_found')
    const strategy = verifications.strategy(v.strategy, [v.strategy])
    await verifications.attemptRow(strategy, v, undefined, clientId, {}, c.device)
    const done = await signIns.completeOAuth(started.signIn.id, row.id, claims, v.id, c.device)
    newClientToken = done.newClientToken ?? newClientToken
    const paths = await this.d.services.instance.paths()
    if (done.signIn.status === 'complete') return { location: afterSignIn, newClientToken }
    if (done.signIn.status !== 'needs_identifier') {
      // A second factor is next: the app's sign-in page continues the client's sign-in.
      return { location: paths.sign_in_url, newClientToken }
    }
    // No user has this account or address: Clerk's transfer, as `sign_ups transfer=true`.
    const up = await signUps.transfer(clientId, c.device)
    newClientToken = up.newClientToken ?? newClientToken
    const location =
      up.signUp.status === 'complete' ? (afterSignUp ?? afterSignIn) : paths.sign_up_url
    return { location, newClientToken }
  }

  /** An absolute http(s) URL on this server or an allowed origin, else undefined. */
  private async allowedTarget(value: string | null | undefined): Promise<string | undefined> {
    if (!value || value.length > 2048) return undefined
    const url = URL.parse(value, this.d.config.url)
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined
    if (url.origin === new URL(this.d.config.url).origin) return url.href
    return (await this.d.services.instance.isAllowedOrigin(url.origin)) ? url.href : undefined
  }

  private lookup(secret: string): string {
    return this.d.services.verifications.secrets.lookup(secret)
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
