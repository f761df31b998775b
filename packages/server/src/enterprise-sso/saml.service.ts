import { randomBytes } from 'node:crypto'
import { ApiError } from '@latchkey/contracts'
import {
  type EnterpriseConnectionRow,
  fromDbBool,
  type OAuthFlowRow,
  type Write,
} from '@latchkey/db'
import type { Profile } from '@node-saml/node-saml'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import type { ServiceDeps } from '../service-deps.js'
import type { PrepareInput } from '../verification/strategy.js'
import { recordAssertion } from './enterprise-connections.repository.js'
import { covers, domainOf, mappingOf } from './enterprise-connections.service.js'
import { type HandOver, SamlHandOverService } from './saml-idp-initiated.js'
import {
  assertionFacts,
  CLOCK_SKEW_MS,
  responseDestination,
  type SentRequest,
  serviceProvider,
  spMetadata,
  spUrls,
} from './saml-sp.js'

/**
 * The SAML 2.0 service provider (issue #18 item 4), over node-saml: the AuthnRequest (HTTP-Redirect
 * binding, its id kept on the flow), and the ACS (HTTP-POST binding), which accepts a response
 * only when node-saml found a signed assertion from the connection's certificate for our
 * audience, answering our request, in its time window — and then checks what node-saml does not:
 * the issuer is the connection's IdP, the Destination and Recipient are our ACS URL, the
 * assertion was never accepted before (a table, so no two processes accept it), and the asserted
 * address lies in the connection's domains.
 */
export class SamlService {
  private readonly d: ServiceDeps
  /** IdP-initiated sign-in's hand-over from the ACS to the browser's GET. */
  readonly handOver: SamlHandOverService

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.handOver = new SamlHandOverService(deps)
  }

  metadata(row: EnterpriseConnectionRow): Promise<string> {
    return spMetadata(row, this.d.config.url)
  }

  /** The AuthnRequest redirect for the verification `v`, and the flow that waits for its answer. */
  async beginFlow(
    row: EnterpriseConnectionRow,
    v: { id: string; ownerId: string; clientId: string },
    input: PrepareInput,
  ): Promise<{ authorizeUrl: string; expireAt: number; write: Write }> {
    // An xsd:ID must not start with a digit.
    const requestId = `_${randomBytes(20).toString('hex')}`
    const made = await this.d.services.externalAccounts.newFlow(row.id, v, input, requestId)
    const sp = await serviceProvider(row, this.d.config.url, {
      id: requestId,
      at: made.flow.created_at,
    })
    const authorizeUrl = await sp.getAuthorizeUrlAsync(made.state, undefined, {})
    return { authorizeUrl, expireAt: made.flow.expire_at, write: made.write }
  }

  /**
   * `POST /v1/saml/acs/{id}`: validates the response for the flow its RelayState names and
   * stores the claims on the flow (`state`: the callback's); with no such flow, as IdP-initiated
   * when the connection allows it — InResponseTo must then be absent — its claims handed over to
   * the browser's next GET (`handOver`, saml-idp-initiated.ts). Throws Clerk's error and changes
   * nothing when anything does not check out.
   */
  async accept(
    connectionId: string,
    samlResponse: string,
    relayState: string | undefined,
  ): Promise<{ flow: OAuthFlowRow; state: string } | { handOver: HandOver }> {
    const row = await this.d.services.enterpriseConnections.find(connectionId)
    if (row?.protocol !== 'saml' || !fromDbBool(row.active))
      throw ApiError.of('saml_connection_active_not_found')
    const accounts = this.d.services.externalAccounts
    const flow = relayState ? await accounts.findFlowByState(relayState) : undefined
    if (!flow || flow.provider !== row.id || !relayState) {
      // No flow of ours: a sign-in started at the IdP (or a forged RelayState).
      if (!fromDbBool(row.allow_idp_initiated)) throw ApiError.of('saml_idp_initiated_not_allowed')
      const claims = await this.validate(row, samlResponse, null)
      return { handOver: await this.handOver.begin(row, claims, relayState) }
    }
    const claims = await this.validate(row, samlResponse, { id: flow.nonce, at: flow.created_at })
    if (!(await accounts.answerFlow(flow.id, claims)))
      throw ApiError.of('verification_already_verified')
    return { flow, state: relayState }
  }

  private async validate(
    row: EnterpriseConnectionRow,
    samlResponse: string,
    request: SentRequest | null,
  ): Promise<ProviderClaims> {
    const urls = spUrls(this.d.config.url, row.id)
    let profile: Profile | null
    try {
      profile = (
        await (
          await serviceProvider(row, this.d.config.url, request)
        ).validatePostResponseAsync({
          SAMLResponse: samlResponse,
        })
      ).profile
    } catch (error) {
      this.d.log.info({ err: error, connection: row.id }, 'saml response refused')
      throw invalidResponse((error as Error).message)
    }
    if (!profile) throw invalidResponse('no assertion')
    if (profile.issuer !== row.idp_entity_id) throw invalidResponse('issuer is not the IdP')
    const destination = responseDestination(samlResponse)
    if (destination !== null && destination !== urls.acsUrl)
      throw invalidResponse('Destination is not this ACS URL')
    const facts = assertionFacts(profile)
    if (!facts.recipients.includes(urls.acsUrl))
      throw invalidResponse('Recipient is not this ACS URL')
    // Unsolicited: node-saml refuses a Response InResponseTo no request of ours has, but reads the
    // SubjectConfirmationData's only beside one; an answer to some request is not unsolicited.
    if (request === null && facts.inResponseTo.length > 0)
      throw invalidResponse('InResponseTo in an unsolicited response')
    if (!facts.id) throw invalidResponse('assertion has no ID')
    const claims = this.claimsOf(row, profile)
    if (claims.email) await this.d.services.enterpriseConnections.assertOwns(row, claims.email)
    const now = this.d.clock.now()
    const fresh = await recordAssertion(this.d.db, {
      issuer: profile.issuer,
      assertion_id: facts.id,
      connection_id: row.id,
      expire_at: (facts.notOnOrAfter ?? now + 10 * 60_000) + CLOCK_SKEW_MS,
      created_at: now,
    })
    if (!fresh) throw invalidResponse('assertion was presented before')
    return claims
  }

  /** The user fields the attribute mapping names; the address must be in the connection's domains. */
  private claimsOf(row: EnterpriseConnectionRow, profile: Profile): ProviderClaims {
    const m = mappingOf(row)
    const attr = (name: string): string | null => {
      const v = name
        ? (profile.attributes as Record<string, unknown> | undefined)?.[name]
        : undefined
      const first = Array.isArray(v) ? v[0] : v
      return typeof first === 'string' && first.trim() ? first.trim() : null
    }
    const nameIdEmail =
      profile.nameIDFormat?.endsWith(':emailAddress') && profile.nameID ? profile.nameID : null
    const email = (attr(m.email_address) ?? nameIdEmail)?.toLowerCase() ?? null
    if (!email) throw ApiError.of('saml_user_attribute_missing')
    const domain = domainOf(email)
    if (!domain || !covers(row, domain)) throw ApiError.of('saml_email_address_domain_mismatch')
    const sub = attr(m.user_id) ?? profile.nameID
    if (!sub) throw ApiError.of('saml_user_attribute_missing')
    return {
      sub,
      email,
      // The IdP is authoritative for its domains, and only for them (checked above).
      emailVerified: true,
      givenName: attr(m.first_name),
      familyName: attr(m.last_name),
      picture: null,
      scope: '',
    }
  }
}

const invalidResponse = (why: string) =>
  ApiError.of('saml_response_invalid', { longMessage: `The SAML response was refused: ${why}.` })
