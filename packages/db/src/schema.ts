import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/*
 * Storage types, one interface a table. Both dialects store:
 * - timestamps as int8 Unix milliseconds (the pg driver is told to parse int8 as number),
 * - booleans as integer 0/1,
 * - JSON as text, encoded and decoded in ./codec.ts.
 * so a row reads back identically from SQLite and PostgreSQL.
 */

export interface InstanceTable {
  id: string
  singleton: number
  settings: string
  created_at: number
  updated_at: number
}

export interface ApiKeyTable {
  id: string
  secret_hash: string
  /** The key's first characters (`sk_live_` and four more), to tell keys apart; null before 0007. */
  prefix: string | null
  /** A name the operator gave the key (migration 0032), or null. */
  label: ColumnType<string | null, string | null | undefined, string | null>
  created_at: number
}

export interface SigningKeyTable {
  kid: string
  alg: string
  public_jwk: string
  private_key_enc: string
  status: string
  /** `session` (session and template tokens) or `oauth` (the OAuth issuer's ID tokens). */
  purpose: Generated<string>
  created_at: number
}

export interface UserTable {
  id: string
  external_id: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  image_url: string | null
  /** The uploaded profile image (`profile_images.id`), if any. */
  profile_image_id: ColumnType<string | null, string | null | undefined, string | null>
  password_digest: string | null
  password_hasher: string | null
  password_updated_at: number | null
  public_metadata: string
  private_metadata: string
  unsafe_metadata: string
  banned: number
  locked: number
  lockout_until: number | null
  failed_attempts: Generated<number>
  /** Password checks are refused until then (the progressive delay after repeated failures). */
  throttled_until: ColumnType<number | null, number | null | undefined, number | null>
  /** Consecutive wrong second factors, sign-in and step-up (migration 0031); a right one clears. */
  second_factor_failures: ColumnType<number, number | undefined, number>
  /** Second factors are refused until then (migration 0031); passwords are not. */
  second_factor_locked_until: ColumnType<number | null, number | null | undefined, number | null>
  primary_email_address_id: string | null
  /** 1 once a TOTP secret is verified (migration 0018). */
  totp_enabled: ColumnType<number, number | undefined, number>
  /** 1 while the user has unused backup codes (migration 0018). */
  backup_code_enabled: ColumnType<number, number | undefined, number>
  last_sign_in_at: number | null
  last_active_at: number | null
  created_at: number
  updated_at: number
}

export interface EmailAddressTable {
  id: string
  user_id: string
  email_address: string
  verified: number
  created_at: number
  updated_at: number
}

export interface ClientTable {
  id: string
  token_hash: string
  last_active_session_id: string | null
  sign_in_id: string | null
  sign_up_id: string | null
  created_at: number
  updated_at: number
}

export interface SessionTable {
  id: string
  client_id: string
  user_id: string
  status: string
  last_active_at: number
  expire_at: number
  abandon_at: number
  created_at: number
  updated_at: number
  /** The browser's User-Agent when the session started (shown in the user profile). */
  user_agent: ColumnType<string | null, string | null | undefined, string | null>
  ip_address: ColumnType<string | null, string | null | undefined, string | null>
  /** When the session's second factor was verified (migration 0018; the token's `fva`). */
  second_factor_at: ColumnType<number | null, number | null | undefined, number | null>
  /** When the session's first factor was last proved; null: at `created_at` (migration 0021). */
  first_factor_at: ColumnType<number | null, number | null | undefined, number | null>
  /** Clerk's session tasks still to do, comma-separated (`setup-mfa`); null: none (0022). */
  tasks: ColumnType<string | null, string | null | undefined, string | null>
}

/**
 * A session's step-up (migration 0021, Clerk's `session_reverification`): the level asked for
 * and how far it got; its factors' verifications are in `verifications`, owned by its id.
 */
export interface SessionVerificationTable {
  id: string
  session_id: string
  level: string
  status: string
  expire_at: number
  created_at: number
  updated_at: number
}

export interface SignInTable {
  id: string
  client_id: string
  user_id: string | null
  identifier: string | null
  status: string
  created_session_id: string | null
  abandon_at: number
  created_at: number
  updated_at: number
}

export interface SignUpTable {
  id: string
  client_id: string
  status: string
  email_address: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  unsafe_metadata: string
  created_user_id: string | null
  created_session_id: string | null
  /** The password's digest, kept until the sign-up completes (migration 0015). */
  password_digest: ColumnType<string | null, string | null | undefined, string | null>
  password_hasher: ColumnType<string | null, string | null | undefined, string | null>
  abandon_at: number
  created_at: number
  updated_at: number
}

/**
 * What one verification (migration 0015) is proving for its owner — a sign-in's first factor, a
 * sign-up's or a user's email address — with the strategy's secret stored as an HMAC.
 */
export interface VerificationTable {
  id: string
  owner_id: string
  slot: string
  strategy: string
  status: string
  secret_hash: string | null
  attempts: number
  email_address: string | null
  email_address_id: string | null
  client_id: string | null
  redirect_url: string | null
  verified_at_client: string | null
  sent_at: number | null
  verified_at: number | null
  expire_at: number
  created_at: number
  updated_at: number
  /** What the browser was given to answer (a passkey's WebAuthn options, JSON; migration 0019). */
  nonce: string | null
}

export interface JwtTemplateTable {
  id: string
  name: string
  claims: string
  lifetime: number
  allowed_clock_skew: number
  custom_signing_key: number
  signing_algorithm: string
  signing_key_enc: string | null
  created_at: number
  updated_at: number
}

export interface RateLimitTable {
  key: string
  window_start: number
  count: number
}

export interface OAuthApplicationTable {
  id: string
  client_id: string
  client_secret_hash: string | null
  name: string
  redirect_uris: string
  scopes: string
  public: number
  pkce_required: number
  consent_screen_enabled: number
  dynamically_registered: number
  client_uri: string | null
  client_image_url: string | null
  created_at: number
  updated_at: number
}

/** One persisted oidc-provider model instance (its payload is JSON text). */
export interface OidcModelTable {
  kind: string
  id: string
  payload: string
  grant_id: string | null
  uid: string | null
  user_code: string | null
  account_id: string | null
  client_id: string | null
  expires_at: number | null
  consumed_at: number | null
}

export interface ProfileImageTable {
  id: string
  user_id: string
  /** Sniffed from the bytes (image/png, image/jpeg, image/gif, image/webp), never as claimed. */
  content_type: string
  byte_size: number
  data: Uint8Array
  created_at: number
}

/** One-time handshake nonces (migration 0014): what a handshake proved, until the app redeems it. */
export interface HandshakeNonceTable {
  nonce_hash: string
  client_id: string
  /** The client's active session the cookies carry; null when the browser is signed out. */
  session_id: string | null
  /** The app origin the browser was sent back to (the session token's `azp`). */
  origin: string
  /** The `__client_uat` value (seconds) the cookies carry. */
  client_uat: number
  /** 1 when the app asked for Clerk's suffixed cookie names as well. */
  suffixed_cookies: number
  /** `__clerk_db_jwt` for an app on a development key: opaque, it proves nothing. */
  dev_browser: string | null
  expires_at: number
}

/** An event of the webhook outbox (migration 0024); its id is the deliveries' `svix-id`. */
export interface WebhookEventTable {
  id: string
  type: string
  /** The whole envelope as JSON, sealed (SecretBox, bound to `webhook_events:<id>`). */
  payload_sealed: string | null
  created_at: number
  /** When the delivery worker fanned it out to the endpoints; null until then. */
  dispatched_at: number | null
}

/** Where webhook events go (migration 0025). */
export interface WebhookEndpointTable {
  id: string
  url: string
  description: string
  /** JSON array of the event types it takes; null: every type. */
  event_types: string | null
  enabled: number
  /** Sealed JSON `[{ secret, expires_at }]`, current first (SecretBox, `webhook_endpoints:<id>`). */
  secrets_sealed: string
  /** The first failure of the current unbroken run of failures; null while it succeeds. */
  failing_since: number | null
  /** Why it was disabled by the server (`failing`), or null. */
  disabled_reason: string | null
  created_at: number
  updated_at: number
}

/** One event to one endpoint (migration 0025). */
export interface WebhookDeliveryTable {
  id: string
  event_id: string
  endpoint_id: string
  /** `pending`, `succeeded` or `failed` (given up). */
  status: string
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  last_status_code: number | null
  last_response: string | null
  last_error: string | null
  created_at: number
  updated_at: number
  delivered_at: number | null
}

/** One HTTP attempt of a delivery (migration 0025). */
export interface WebhookAttemptTable {
  id: string
  delivery_id: string
  endpoint_id: string
  event_id: string
  attempt: number
  status_code: number | null
  response_excerpt: string | null
  error: string | null
  duration_ms: number
  created_at: number
}

/** A message waiting for, or done with, delivery (migration 0016). */
export interface MailOutboxTable {
  id: string
  to_address: string
  kind: string
  subject: string
  /** The bodies, sealed (SecretBox); null once sent or given up. */
  text_sealed: string | null
  html_sealed: string | null
  message_id: string
  status: string
  attempts: Generated<number>
  next_attempt_at: number
  locked_until: number | null
  sent_at: number | null
  last_error: string | null
  created_at: number
}

/**
 * An allowlist or blocklist identifier (migration 0017): an email address or `*@domain`,
 * lower-cased. Both lists share this shape.
 */
export interface RestrictionIdentifierTable {
  id: string
  identifier: string
  /** Clerk's `identifier_type`; only `email_address` so far. */
  identifier_type: string
  created_at: number
  updated_at: number
}

/** A user's TOTP secret (migration 0018): one per user, sealed with the user id as AAD. */
export interface TotpSecretTable {
  user_id: string
  id: string
  secret_sealed: string
  verified: number
  /** The last time step a code was accepted for (sign-in), so a code is accepted once. */
  last_used_step: number | null
  created_at: number
  updated_at: number
}

/** One backup code (migration 0018), as an HMAC of its normalized text; single use. */
export interface BackupCodeTable {
  id: string
  user_id: string
  /** The codes generated together share it (Clerk's `backup_code` resource id). */
  set_id: string
  code_hash: string
  used_at: number | null
  created_at: number
}

/**
 * A WebAuthn passkey (migration 0019): unverified, with no credential, between the creation
 * options and the authenticator's answer; then the credential, its COSE key (base64url) and
 * the last signature counter seen.
 */
export interface PasskeyTable {
  id: string
  user_id: string
  credential_id: string | null
  public_key: string | null
  counter: number
  /** JSON array of the authenticator's transports (`internal`, `usb`, `hybrid`, …). */
  transports: string
  name: string
  backed_up: number
  /** `singleDevice` or `multiDevice` (a synced passkey). */
  device_type: string | null
  verified: number
  last_used_at: number | null
  created_at: number
  updated_at: number
}

/** An upstream OpenID Connect provider the operator configured (migration 0023, issue #18). */
export interface OAuthConnectionTable {
  id: string
  /**
   * `google`, `microsoft`, `github`, `gitlab`, `discord`, `apple` or `custom_<slug>`: the
   * strategy is `oauth_<provider>`.
   */
  provider: string
  /** The OpenID Connect issuer; for a plain OAuth 2 provider, its public web origin. */
  issuer: string
  client_id: string
  /**
   * Sealed with the instance's SecretBox, the connection id as AAD: the client secret, or for
   * Apple the team's private key (PEM) its client-secret JWTs are signed with.
   */
  client_secret_sealed: string
  /** Space-separated, as sent to the provider. */
  scopes: string
  enabled: number
  /** Apple's team id and key id (migration 0028); null elsewhere. */
  team_id: string | null
  key_id: string | null
  /** Where a plain OAuth 2 provider's endpoints are, when not its public hosts (loopback only). */
  endpoint_base_url: string | null
  created_at: number
  updated_at: number
}

/** A user's account at an upstream provider (migration 0023); `(provider, sub)` is unique. */
export interface ExternalAccountTable {
  id: string
  user_id: string
  provider: string
  provider_user_id: string
  email_address: string | null
  /** What the provider asserted (`email_verified`), null when it said nothing. */
  email_verified: number | null
  first_name: string | null
  last_name: string | null
  image_url: string | null
  /** The provider's handle (GitHub login, …), migration 0028. */
  username: string | null
  approved_scopes: string
  /** The provider's access token, sealed (AAD: the account id) (migration 0027). */
  access_token_sealed: ColumnType<string | null, string | null | undefined, string | null>
  /** The provider's refresh token, sealed (AAD: `refresh:` + the account id). */
  refresh_token_sealed: ColumnType<string | null, string | null | undefined, string | null>
  /** When the access token expires (ms), null when the provider did not say. */
  token_expires_at: ColumnType<number | null, number | null | undefined, number | null>
  token_type: ColumnType<string | null, string | null | undefined, string | null>
  /** The scopes granted to the access token (space-separated). */
  token_scopes: ColumnType<string | null, string | null | undefined, string | null>
  created_at: number
  updated_at: number
}

/** One redirect to a provider and its callback (migration 0023): single use, expiring. */
export interface OAuthFlowTable {
  id: string
  state_hash: string
  verification_id: string
  /** The sign-in (or sign-up) the flow belongs to. */
  owner_id: string
  client_id: string
  provider: string
  nonce: string
  code_verifier_sealed: string
  redirect_url: string
  action_complete_redirect_url: string | null
  /**
   * The app's proxy of the Frontend API (`https://app.example/__clerk`) the flow was started
   * through, where its client cookie lives; null when started against Latchkey's own URL.
   */
  proxy_url: string | null
  /** The provider's claims (JSON), once the callback exchanged the code. */
  claims: string | null
  used_at: number | null
  expire_at: number
  created_at: number
  /** A connect flow's session: its callback links to this session's user only (0027). */
  session_id: ColumnType<string | null, string | null | undefined, string | null>
  /** The external account a connect flow creates or reauthorizes (0027). */
  account_id: ColumnType<string | null, string | null | undefined, string | null>
}

/** An enterprise SSO connection, SAML or OIDC, bound to email domains (migration T0026). */
export interface EnterpriseConnectionTable {
  id: string
  protocol: 'saml' | 'oidc'
  provider: string
  name: string
  /** JSON array of lowercase domains. */
  domains: string
  active: number
  allow_subdomains: number
  allow_idp_initiated: number
  sync_user_attributes: number
  idp_entity_id: string | null
  idp_sso_url: string | null
  idp_certificate: string | null
  idp_metadata_url: string | null
  idp_metadata: string | null
  /** JSON object: user_id, email_address, first_name, last_name → attribute names. */
  attribute_mapping: string
  oidc_issuer: string | null
  oidc_client_id: string | null
  oidc_client_secret_sealed: string | null
  oidc_scopes: string | null
  created_at: number
  updated_at: number
}

/** An accepted SAML assertion id, kept until it expires (replay prevention). */
export interface SamlAssertionTable {
  issuer: string
  assertion_id: string
  connection_id: string
  expire_at: number
  created_at: number
}

/** A user who may sign in to the operator dashboard (migration 0032, issue #20). */
export interface OperatorTable {
  user_id: string
  created_at: number
}

/** An operator's short-lived `lk_op_…` credential, by the SHA-256 of its token. */
export interface OperatorCredentialTable {
  id: string
  user_id: string
  token_hash: string
  created_at: number
  /** Moved at most once a minute; the credential lapses 30 minutes after it. */
  last_used_at: number
}

/** What an operator did through the Backend API, or an operator sign-in or sign-out. */
export interface AuditEventTable {
  id: string
  actor_type: string
  /** The user id; null for a sign-in whose identifier matched no one. */
  actor_id: string | null
  credential_id: string | null
  /** `METHOD route` (`POST /v1/users/:user_id/ban`), `operator.sign_in`, `operator.sign_out`. */
  action: string
  method: string
  /** The route pattern, e.g. `/v1/users/:user_id/ban`. */
  route: string
  /** The first path parameter's value. */
  target_id: string | null
  status_code: number
  ip: string | null
  user_agent: string | null
  created_at: number
}

export interface Database {
  instances: InstanceTable
  api_keys: ApiKeyTable
  signing_keys: SigningKeyTable
  users: UserTable
  email_addresses: EmailAddressTable
  clients: ClientTable
  sessions: SessionTable
  sign_ins: SignInTable
  sign_ups: SignUpTable
  jwt_templates: JwtTemplateTable
  rate_limits: RateLimitTable
  oauth_applications: OAuthApplicationTable
  oidc_models: OidcModelTable
  profile_images: ProfileImageTable
  handshake_nonces: HandshakeNonceTable
  verifications: VerificationTable
  mail_outbox: MailOutboxTable
  allowlist_identifiers: RestrictionIdentifierTable
  blocklist_identifiers: RestrictionIdentifierTable
  totp_secrets: TotpSecretTable
  backup_codes: BackupCodeTable
  session_verifications: SessionVerificationTable
  passkeys: PasskeyTable
  oauth_connections: OAuthConnectionTable
  external_accounts: ExternalAccountTable
  oauth_flows: OAuthFlowTable
  webhook_events: WebhookEventTable
  enterprise_connections: EnterpriseConnectionTable
  saml_assertions: SamlAssertionTable
  webhook_endpoints: WebhookEndpointTable
  webhook_deliveries: WebhookDeliveryTable
  webhook_attempts: WebhookAttemptTable
  operators: OperatorTable
  operator_credentials: OperatorCredentialTable
  audit_events: AuditEventTable
}

export type InstanceRow = Selectable<InstanceTable>
export type SigningKeyRow = Selectable<SigningKeyTable>
export type UserRow = Selectable<UserTable>
export type ProfileImageRow = Selectable<ProfileImageTable>
export type NewUser = Insertable<UserTable>
export type UserUpdate = Updateable<UserTable>
export type EmailAddressRow = Selectable<EmailAddressTable>
export type ClientRow = Selectable<ClientTable>
export type SessionRow = Selectable<SessionTable>
export type SignInRow = Selectable<SignInTable>
export type SignUpRow = Selectable<SignUpTable>
export type JwtTemplateRow = Selectable<JwtTemplateTable>
export type OAuthApplicationRow = Selectable<OAuthApplicationTable>
export type OidcModelRow = Selectable<OidcModelTable>
export type HandshakeNonceRow = Selectable<HandshakeNonceTable>
export type VerificationRow = Selectable<VerificationTable>
export type MailOutboxRow = Selectable<MailOutboxTable>
export type NewMailOutbox = Insertable<MailOutboxTable>
export type RestrictionIdentifierRow = Selectable<RestrictionIdentifierTable>
export type TotpSecretRow = Selectable<TotpSecretTable>
export type BackupCodeRow = Selectable<BackupCodeTable>
export type SessionVerificationRow = Selectable<SessionVerificationTable>
export type PasskeyRow = Selectable<PasskeyTable>
export type OAuthConnectionRow = Selectable<OAuthConnectionTable>
export type ExternalAccountRow = Selectable<ExternalAccountTable>
export type OAuthFlowRow = Selectable<OAuthFlowTable>
export type WebhookEventRow = Selectable<WebhookEventTable>
export type NewWebhookEvent = Insertable<WebhookEventTable>
export type EnterpriseConnectionRow = Selectable<EnterpriseConnectionTable>
export type SamlAssertionRow = Selectable<SamlAssertionTable>
export type WebhookEndpointRow = Selectable<WebhookEndpointTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>
export type WebhookAttemptRow = Selectable<WebhookAttemptTable>
export type OperatorRow = Selectable<OperatorTable>
export type OperatorCredentialRow = Selectable<OperatorCredentialTable>
export type AuditEventRow = Selectable<AuditEventTable>
