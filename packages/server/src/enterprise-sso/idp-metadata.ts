import { ApiError } from '@latchkey/contracts'
import { DOMParser } from '@xmldom/xmldom'

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata'
const DS = 'http://www.w3.org/2000/09/xmldsig#'
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'

/**
 * An IdP's SAML metadata (SAML metadata §2.4.3): its entityID, the SingleSignOnService with the
 * HTTP-Redirect binding (how Latchkey sends the AuthnRequest) and its signing certificate.
 */
export function parseIdpMetadata(xml: string): {
  entityId: string
  ssoUrl: string
  certificate: string
} {
  let doc: ReturnType<DOMParser['parseFromString']>
  try {
    doc = new DOMParser().parseFromString(xml, 'text/xml')
  } catch {
    throw bad('it is not XML')
  }
  const entity = doc.getElementsByTagNameNS(MD, 'EntityDescriptor')[0]
  const idp = doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0]
  const entityId = entity?.getAttribute('entityID')
  if (!entityId || !idp) throw bad('it has no EntityDescriptor with an IDPSSODescriptor')
  const sso = Array.from(idp.getElementsByTagNameNS(MD, 'SingleSignOnService')).find(
    (e) => e.getAttribute('Binding') === REDIRECT,
  )
  const ssoUrl = sso?.getAttribute('Location')
  if (!ssoUrl) throw bad('it has no SingleSignOnService with the HTTP-Redirect binding')
  const keys = Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor')).filter(
    (k) => (k.getAttribute('use') ?? 'signing') === 'signing',
  )
  const cert = keys[0]?.getElementsByTagNameNS(DS, 'X509Certificate')[0]?.textContent?.trim()
  if (!cert) throw bad('it has no signing certificate')
  return { entityId, ssoUrl, certificate: cert }
}

const bad = (why: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `idp_metadata could not be used: ${why}.`,
    meta: { param_name: 'idp_metadata' },
  })
