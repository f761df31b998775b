import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { DOMParser } from '@xmldom/xmldom'
import { SignedXml } from 'xml-crypto'
import { freePort } from './test-server.js'

/** An RSA key and a self-signed certificate for it (openssl), as PEM. */
export function keyPair(cn = 'Test IdP'): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'saml-idp-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`].concat([
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'pipe', timeout: 30_000 },
    )
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** An AuthnRequest as the IdP read it from the HTTP-Redirect binding. */
export type AuthnRequest = { id: string; acsUrl: string; issuer: string; relayState: string }

/** What the next response says; each field can be bent by a refusal test. */
export type ResponseOptions = {
  email: string
  nameId?: string
  firstName?: string
  lastName?: string
  acsUrl: string
  audience: string
  inResponseTo?: string | undefined
  recipient?: string
  destination?: string
  /** Assertion validity: NotBefore = now − 1 min, NotOnOrAfter = now + this (may be negative). */
  validForMs?: number
  /** `assertion` (default), `response` only, or `none`. */
  sign?: 'assertion' | 'response' | 'none'
  /** Sign with this key instead of the IdP's (another IdP's key). */
  key?: string
  cert?: string
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const iso = (ms: number) => new Date(ms).toISOString()
const xmlId = () => `_${randomBytes(16).toString('hex')}`

/**
 * A SAML 2.0 identity provider on loopback, from xml-crypto (the XML-DSig library node-saml itself
 * verifies with): `GET /sso` takes an AuthnRequest by the HTTP-Redirect binding and answers, as
 * JSON, the signed `SAMLResponse` and `RelayState` its auto-posting form would carry to the ACS
 * for the person `signInAs`. The test posts them, like the browser would. Started with
 * `{ loginPage: true }` (browser tests), `/sso` is instead a sign-in page asking for the email
 * address, whose form answers the IdP's auto-posting form to the ACS (HTTP-POST binding).
 */
export class SamlIdp {
  readonly entityId: string
  readonly ssoUrl: string
  readonly key: string
  readonly cert: string
  /** Who signs in at the IdP next, and what it asserts about them. */
  signInAs: { email: string; firstName?: string; lastName?: string } = { email: '' }
  lastRequest: AuthnRequest | undefined
  private readonly server: Server

  private constructor(base: string, server: Server, pair: { key: string; cert: string }) {
    this.entityId = `${base}/metadata`
    this.ssoUrl = `${base}/sso`
    this.server = server
    this.key = pair.key
    this.cert = pair.cert
  }

  static async start(options: { loginPage?: boolean } = {}): Promise<SamlIdp> {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    let idp: SamlIdp | undefined
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', base)
      if (options.loginPage && idp && (url.pathname === '/sso' || url.pathname === '/sso/login')) {
        idp.loginPage(req, res, url).catch((error: unknown) => {
          res.writeHead(400).end(String(error))
        })
        return
      }
      if (url.pathname === '/metadata') {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' })
        res.end(idp?.metadata())
        return
      }
      if (url.pathname !== '/sso' || !idp) {
        res.writeHead(404).end()
        return
      }
      try {
        const request = readAuthnRequest(url)
        idp.lastRequest = request
        const SAMLResponse = idp.response({
          ...idp.signInAs,
          acsUrl: request.acsUrl,
          audience: request.issuer,
          inResponseTo: request.id,
        })
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({ SAMLResponse, RelayState: request.relayState, acs: request.acsUrl }),
        )
      } catch (error) {
        res.writeHead(400).end(String(error))
      }
    })
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok))
    idp = new SamlIdp(base, server, keyPair())
    return idp
  }

  /**
   * The browser's way through the IdP: `GET /sso` shows "Sign in to the IdP" (an email field
   * carrying the AuthnRequest along), and its `POST /sso/login` answers the page that posts the
   * signed response to the ACS by itself.
   */
  private async loginPage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const page = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}</body></html>`,
      )
    }
    if (req.method === 'GET' && url.pathname === '/sso') {
      page(`<h1>Sign in to the IdP</h1><form method="post" action="/sso/login">
<input type="hidden" name="q" value="${esc(url.search)}">
<label>Email <input name="email" type="email"></label>
<button type="submit">Sign in</button></form>`)
      return
    }
    let text = ''
    for await (const chunk of req) text += String(chunk)
    const form = new URLSearchParams(text)
    const request = readAuthnRequest(new URL(`/sso${form.get('q') ?? ''}`, url))
    this.lastRequest = request
    const SAMLResponse = this.response({
      email: form.get('email') ?? '',
      firstName: 'Grace',
      lastName: 'Hopper',
      acsUrl: request.acsUrl,
      audience: request.issuer,
      inResponseTo: request.id,
    })
    page(`<form method="post" action="${esc(request.acsUrl)}">
<input type="hidden" name="SAMLResponse" value="${esc(SAMLResponse)}">
<input type="hidden" name="RelayState" value="${esc(request.relayState ?? '')}">
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit()</script>`)
  }

  /** The IdP's metadata (entity id, redirect-binding SSO URL, signing certificate). */
  metadata(): string {
    const b64 = this.cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(this.entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
  }

  /** A SAML Response, base64 as the HTTP-POST binding carries it. */
  response(o: ResponseOptions): string {
    const now = Date.now()
    const until = now + (o.validForMs ?? 5 * 60_000)
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : ''
    const attr = (name: string, value: string | undefined) =>
      value === undefined
        ? ''
        : `<saml:Attribute Name="${name}"><saml:AttributeValue>${esc(value)}</saml:AttributeValue></saml:Attribute>`
    const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${xmlId()}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${esc(this.entityId)}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(o.nameId ?? o.email)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(until)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(now - 60_000)}" NotOnOrAfter="${iso(until)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${xmlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>${attr('mail', o.email)}${attr('firstName', o.firstName)}${attr('lastName', o.lastName)}</saml:AttributeStatement></saml:Assertion>`
    const sign = o.sign ?? 'assertion'
    const key = o.key ?? this.key
    const cert = o.cert ?? this.cert
    const signedAssertion =
      sign === 'assertion' ? signXml(assertion, 'Assertion', key, cert) : assertion
    const response = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${xmlId()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${esc(o.destination ?? o.acsUrl)}"${irt}><saml:Issuer>${esc(this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${signedAssertion}</samlp:Response>`
    const out = sign === 'response' ? signXml(response, 'Response', key, cert) : response
    return Buffer.from(out, 'utf8').toString('base64')
  }

  close(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()))
  }
}

/** An enveloped RSA-SHA256 signature of the element `local`, placed after its Issuer. */
function signXml(xml: string, local: 'Assertion' | 'Response', key: string, cert: string): string {
  const sig = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  })
  sig.addReference({
    xpath: `${local === 'Assertion' ? '//' : '/'}*[local-name(.)='${local}']`,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  })
  sig.computeSignature(xml, {
    location: {
      reference: `//*[local-name(.)='${local}']/*[local-name(.)='Issuer']`,
      action: 'after',
    },
  })
  return sig.getSignedXml()
}

/** The AuthnRequest of an HTTP-Redirect binding URL (SAML bindings §3.4.4.1: DEFLATE, base64). */
export function readAuthnRequest(url: URL): AuthnRequest {
  const encoded = url.searchParams.get('SAMLRequest')
  if (!encoded) throw new Error('no SAMLRequest')
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8')
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  const req = doc.documentElement
  if (req?.localName !== 'AuthnRequest') throw new Error('not an AuthnRequest')
  const issuer = req.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]
  return {
    id: req.getAttribute('ID') ?? '',
    acsUrl: req.getAttribute('AssertionConsumerServiceURL') ?? '',
    issuer: issuer?.textContent?.trim() ?? '',
    relayState: url.searchParams.get('RelayState') ?? '',
  }
}
