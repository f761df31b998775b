import type { EnterpriseConnectionRow } from '@latchkey/db'
import type { CacheProvider, Profile, SAML } from '@node-saml/node-saml'

/**
 * node-saml and its XML stack, loaded by the first SAML call rather than at boot: about 7 MiB of
 * every worker's memory that a deployment without SAML connections never uses (issue #21).
 */
let nodeSaml: Promise<typeof import('@node-saml/node-saml')> | undefined
const loadNodeSaml = () => {
  nodeSaml ??= import('@node-saml/node-saml')
  return nodeSaml
}

/** How far the IdP's clock may be from ours (NotBefore / NotOnOrAfter), both ways. */
export const CLOCK_SKEW_MS = 60_000
/** An assertion older than this (IssueInstant) is refused even if its NotOnOrAfter is later. */
const MAX_ASSERTION_AGE_MS = 10 * 60_000

/** The SP's names for a connection: Clerk's paths on the Frontend API host. */
export function spUrls(baseUrl: string, id: string) {
  return {
    acsUrl: new URL(`/v1/saml/acs/${id}`, baseUrl).href,
    spEntityId: new URL(`/saml/${id}`, baseUrl).href,
    spMetadataUrl: new URL(`/v1/saml/metadata/${id}.xml`, baseUrl).href,
  }
}

/**
 * The answer node-saml's cache gives about InResponseTo: only the AuthnRequest id of the flow
 * this response came back to is known, so a response to another browser's request (or one with
 * an InResponseTo on an IdP-initiated path) is refused. Single use is the flow's, not the cache's.
 */
function expectedRequest(request: SentRequest | null): CacheProvider {
  return {
    saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
    // node-saml reads the value as the request's instant (its own expiry check).
    getAsync: async (key) =>
      request !== null && key === request.id ? new Date(request.at).toISOString() : null,
    removeAsync: async (key) => key,
  }
}

/** The AuthnRequest a flow sent: its id and when. */
export type SentRequest = { id: string; at: number }

/**
 * A node-saml service provider for one connection. Signed assertions are required
 * (`wantAssertionsSigned`; a signed response alone is not enough, so a wrapped or unsigned
 * assertion never counts), the audience must be the SP entity id, InResponseTo must be this
 * flow's request, NotBefore/NotOnOrAfter are checked with a bounded skew.
 */
export async function serviceProvider(
  row: EnterpriseConnectionRow,
  baseUrl: string,
  request: SentRequest | null,
): Promise<SAML> {
  const { SAML, ValidateInResponseTo } = await loadNodeSaml()
  const urls = spUrls(baseUrl, row.id)
  return new SAML({
    entryPoint: row.idp_sso_url ?? undefined,
    issuer: urls.spEntityId,
    callbackUrl: urls.acsUrl,
    audience: urls.spEntityId,
    idpCert: row.idp_certificate ?? '',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    disableRequestedAuthnContext: true,
    validateInResponseTo: request ? ValidateInResponseTo.always : ValidateInResponseTo.ifPresent,
    requestIdExpirationPeriodMs: MAX_ASSERTION_AGE_MS,
    cacheProvider: expectedRequest(request),
    ...(request ? { generateUniqueId: () => request.id } : {}),
  })
}

/** The SP metadata document (entity id, ACS URL with the POST binding, signed assertions wanted). */
export async function spMetadata(row: EnterpriseConnectionRow, baseUrl: string): Promise<string> {
  return (await serviceProvider(row, baseUrl, null)).generateServiceProviderMetadata(null, null)
}

type X = { $?: Record<string, string>; _?: string } & Record<string, unknown>
const list = (v: unknown): X[] => (Array.isArray(v) ? (v as X[]) : [])

/** What the signed assertion says beyond node-saml's checks: its id, recipients, expiry. */
export function assertionFacts(profile: Profile): {
  id: string | null
  recipients: string[]
  /** Every SubjectConfirmationData's InResponseTo (none in an unsolicited response). */
  inResponseTo: string[]
  notOnOrAfter: number | null
} {
  const doc = profile.getAssertion?.() as { Assertion?: X } | undefined
  const a = doc?.Assertion
  const recipients: string[] = []
  const inResponseTo: string[] = []
  let last: number | null = null
  const seen = (s: string | undefined) => {
    const t = s ? Date.parse(s) : Number.NaN
    if (!Number.isNaN(t)) last = Math.max(last ?? 0, t)
  }
  for (const subject of list(a?.Subject)) {
    for (const sc of list(subject.SubjectConfirmation)) {
      for (const data of list(sc.SubjectConfirmationData)) {
        if (data.$?.Recipient) recipients.push(data.$.Recipient)
        if (data.$?.InResponseTo) inResponseTo.push(data.$.InResponseTo)
        seen(data.$?.NotOnOrAfter)
      }
    }
  }
  for (const c of list(a?.Conditions)) seen(c.$?.NotOnOrAfter)
  return { id: a?.$?.ID ?? null, recipients, inResponseTo, notOnOrAfter: last }
}

/** The Response element's Destination (SAML core §3.2.2), read from the posted document. */
export function responseDestination(samlResponse: string): string | null {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8')
  const root = /<(?:[A-Za-z_][\w.-]*:)?Response\b([^>]*)>/.exec(xml)
  const dest = root?.[1] ? /\sDestination\s*=\s*"([^"]*)"/.exec(root[1]) : null
  return dest?.[1] ?? null
}
