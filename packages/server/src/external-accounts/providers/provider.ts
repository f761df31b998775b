import * as oidc from 'openid-client'
import type { AddressPolicy } from '../../webhooks/endpoint-address.js'
import { checkedFetch } from './checked-fetch.js'

/**
 * What a provider says about the person, mapped once per provider (issue #18): Clerk's
 * `ExternalAccount` fields. `emailVerified` is true only where the provider's own answer proves
 * the address (each provider file documents where that comes from); linking an external account
 * to an existing user rests on it (docs/SECURITY.md).
 */
export type ProviderProfile = {
  providerUserId: string
  email: string | null
  emailVerified: boolean
  firstName: string | null
  lastName: string | null
  username: string | null
  imageUrl: string | null
}

/** A connection as a provider needs it: the sealed secret opened, Apple's key ids. */
export type ConnectionSettings = {
  issuer: string
  clientId: string
  /** The client secret; for Apple, the team's private key (PEM). */
  secret: string
  teamId: string | null
  keyId: string | null
  endpointBaseUrl: string | null
  /** Milliseconds since the epoch (the instance's clock), for minted client secrets. */
  now: () => number
  /** Who the relying party may reach beyond public addresses (`outboundAllowPrivate`). */
  policy: AddressPolicy
}

/** The connection's inputs a provider checks before anything is stored. */
export type ConnectionCheck = {
  issuer: string | undefined
  endpointBaseUrl: string | undefined
  teamId: string | undefined
  keyId: string | undefined
  /** `client_secret`. */
  secret: string | undefined
  /** Apple's `private_key`. */
  privateKey: string | undefined
}

/** What the callback gives a provider to read the person from. */
export type ProfileInput = {
  config: oidc.Configuration
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers
  /** The authorization response as it reached Latchkey (Apple's `user` field rides here). */
  callbackUrl: URL
}

/**
 * One upstream provider (STYLE.md §9: one file each, registered by key in `index.ts`). The
 * flow around it — state, nonce, PKCE, single use, linking — is the same for all; a provider
 * says how to reach it and how to read the person.
 */
export interface Provider {
  /** `github`; the strategy is `oauth_<key>`. */
  readonly key: string
  /** What a "Continue with …" button says. */
  readonly name: string
  /**
   * `oidc`: the sign-in is proved by an ID token (signature, issuer, audience, expiry, nonce),
   * checked by openid-client. `oauth2`: no ID token; the profile is read with the access token.
   */
  readonly protocol: 'oidc' | 'oauth2'
  /** Space-separated scopes when the operator names none. */
  readonly defaultScopes: string
  /** Scopes always asked for, whatever the operator names. */
  readonly requiredScopes: readonly string[]
  /** Whether the provider takes PKCE (S256); every provider gets state. */
  readonly pkce: boolean
  /** The parameter that carries the sealed secret: `client_secret`, or Apple's `private_key`. */
  readonly secretParam: 'client_secret' | 'private_key'
  /** Extra authorization request parameters (Apple: `response_mode=form_post`). */
  readonly authorizationParams?: Readonly<Record<string, string>>
  /**
   * The issuer (OIDC) or web origin (OAuth 2) a connection stores when the operator names none;
   * undefined when the operator must (Microsoft's tenant, a custom provider).
   */
  readonly defaultIssuer: string | undefined
  /**
   * Throws a message naming the parameter when the operator's settings cannot be this
   * provider's (an issuer that is not Google's, a base URL off loopback, a missing key id).
   * `creating`: the input is a whole connection (required settings present), not a change.
   */
  check(input: ConnectionCheck, creating: boolean): void | Promise<void>
  /** The relying-party configuration: discovery, or the provider's documented endpoints. */
  configuration(settings: ConnectionSettings): Promise<oidc.Configuration>
  /** The person, from the ID token and/or the provider's API. */
  profile(input: ProfileInput): Promise<ProviderProfile>
}

/** A refused connection setting: the service turns it into `form_param_value_invalid`. */
export class ConnectionSettingError extends Error {
  readonly param: string
  constructor(param: string, message: string) {
    super(message)
    this.param = param
  }
}

export const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)

const parse = (value: string) => (URL.canParse(value) ? new URL(value) : undefined)

/** An https URL, or http on this machine (a test's IdP, a local one). */
export function checkHttpsOrLoopback(param: string, value: string): URL {
  const url = parse(value)
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))))
    throw new ConnectionSettingError(param, `${param} must be an https URL.`)
  return url
}

/**
 * A provider with one public issuer (Google, Apple) takes that issuer, or one on loopback: a
 * stand-in in tests. Anything else would let a connection named `google` trust another IdP's
 * word on an email address.
 */
export function checkFixedIssuer(issuer: string | undefined, expected: string): void {
  if (issuer === undefined || issuer === expected) return
  const url = checkHttpsOrLoopback('issuer', issuer)
  if (!isLoopback(url)) throw new ConnectionSettingError('issuer', `issuer must be ${expected}.`)
}

/** Only plain OAuth 2 providers have an endpoint base; only Apple has team and key ids. */
export function refuseUnused(input: ConnectionCheck, keep: readonly (keyof ConnectionCheck)[]) {
  const names: Record<keyof ConnectionCheck, string> = {
    issuer: 'issuer',
    endpointBaseUrl: 'endpoint_base_url',
    teamId: 'team_id',
    keyId: 'key_id',
    secret: 'client_secret',
    privateKey: 'private_key',
  }
  for (const [k, param] of Object.entries(names) as [keyof ConnectionCheck, string][]) {
    if (!keep.includes(k) && input[k] !== undefined)
      throw new ConnectionSettingError(param, `${param} does not apply to this provider.`)
  }
}

/** The endpoint base override of a plain OAuth 2 provider: loopback only (http or https). */
export function checkEndpointBase(value: string | undefined): void {
  if (value === undefined) return
  const url = parse(value)
  const ok = url && (url.protocol === 'http:' || url.protocol === 'https:') && isLoopback(url)
  if (!ok || url.pathname !== '/' || url.search || url.hash)
    throw new ConnectionSettingError(
      'endpoint_base_url',
      'endpoint_base_url must be an http(s) origin on loopback (127.0.0.1, localhost, [::1]).',
    )
}

/**
 * Every request of the relying party goes through the outbound address policy
 * (`checkedFetch`), which also decides plain http: only to an address the policy admits
 * beyond public ones (loopback when the operator allows it), never to a public one. So
 * openid-client's own https-only check is off here and the fetch enforces the rule.
 */
export function checkedTransport(
  config: oidc.Configuration,
  policy: AddressPolicy,
): oidc.Configuration {
  config[oidc.customFetch] = checkedFetch(policy)
  oidc.allowInsecureRequests(config)
  config.timeout = 10
  return config
}

/**
 * A plain OAuth 2 provider's relying-party configuration: its documented authorize and token
 * paths on `web` (the connection's loopback `endpoint_base_url` in tests), no discovery.
 */
export function oauth2Configuration(
  s: ConnectionSettings,
  web: string,
  paths: { authorize: string; token: string },
): oidc.Configuration {
  const config = new oidc.Configuration(
    {
      issuer: web,
      authorization_endpoint: new URL(paths.authorize, web).href,
      token_endpoint: new URL(paths.token, web).href,
    },
    s.clientId,
    s.secret,
  )
  return checkedTransport(config, s.policy)
}

/** OpenID Connect discovery of `issuer`, with the connection's client credentials. */
export function discover(
  s: ConnectionSettings,
  clientAuthentication?: oidc.ClientAuth,
): Promise<oidc.Configuration> {
  const issuer = new URL(s.issuer)
  return oidc.discovery(
    issuer,
    s.clientId,
    clientAuthentication ? undefined : s.secret,
    clientAuthentication,
    {
      [oidc.customFetch]: checkedFetch(s.policy),
      execute: [oidc.allowInsecureRequests],
      timeout: 10,
    },
  )
}

export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/** A normalized address (trimmed, lowercase), or null. */
export const emailOf = (v: unknown): string | null => str(v)?.trim().toLowerCase() ?? null

/** "Ada King Lovelace" → Ada / King Lovelace: the best a single display name allows. */
export function splitName(name: unknown): { firstName: string | null; lastName: string | null } {
  const parts = (str(name) ?? '').trim().split(/\s+/).filter(Boolean)
  return { firstName: parts[0] ?? null, lastName: parts.slice(1).join(' ') || null }
}

/**
 * The ID token's claims, completed by userinfo when the token keeps email out (oidc-provider's
 * default; openid-client checks the answer's `sub` is the token's). The ID token wins where
 * both speak: it is signed for this client and this nonce.
 */
export async function oidcClaims(input: ProfileInput): Promise<oidc.IDToken> {
  const id = input.tokens.claims()
  if (!id) throw new Error('no ID token')
  if (typeof id.email === 'string' || !input.config.serverMetadata().userinfo_endpoint) return id
  const info = await oidc.fetchUserInfo(input.config, input.tokens.access_token, id.sub)
  return { ...info, ...id }
}

/**
 * The standard OpenID Connect mapping (Core §5.1): `sub`, `email` with `email_verified` only
 * when exactly `true`, `given_name` / `family_name` (else `name` split), `preferred_username`,
 * `picture`.
 */
export function standardProfile(c: Record<string, unknown> & { sub: string }): ProviderProfile {
  const split = splitName(c.name)
  return {
    providerUserId: c.sub,
    email: emailOf(c.email),
    emailVerified: c.email_verified === true,
    firstName: str(c.given_name) ?? split.firstName,
    lastName: str(c.family_name) ?? split.lastName,
    username: str(c.preferred_username),
    imageUrl: str(c.picture),
  }
}

/** A JSON resource from a plain OAuth 2 provider's API, with the access token. */
export async function fetchJson(
  input: ProfileInput,
  url: URL,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await oidc.fetchProtectedResource(
    input.config,
    input.tokens.access_token,
    url,
    'GET',
    undefined,
    new Headers({ accept: 'application/json', 'user-agent': 'Latchkey', ...headers }),
  )
  if (!res.ok) throw new Error(`${url.pathname} answered ${res.status}`)
  return res.json()
}
