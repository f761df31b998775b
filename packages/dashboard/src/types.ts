/** The Backend API resources the dashboard reads (only the fields it uses). */

export type OperatorUser = {
  id: string
  email_address: string | null
  first_name: string | null
  last_name: string | null
}

export type OperatorCredential = {
  object: 'operator_credential'
  id: string
  expires_at: number
  user: OperatorUser
  second_factor?: boolean
  token?: string
}

export type Instance = {
  id: string
  application_name?: string
  frontend_api_url?: string
  publishable_key?: string
  allowed_origins?: string[]
  configured_allowed_origins?: string[]
  delete_self_enabled?: boolean
}

export type InstancePaths = Record<
  | 'home_url'
  | 'sign_in_url'
  | 'sign_up_url'
  | 'user_profile_url'
  | 'after_sign_in_url'
  | 'after_sign_up_url'
  | 'after_sign_out_url',
  string | null
>

export type UserSettings = {
  sign_up: { mode: 'public' | 'restricted'; verify_email_at_sign_up: boolean }
  first_factors: Record<
    'password' | 'email_code' | 'email_link' | 'reset_password_email_code' | 'passkey',
    boolean
  >
  second_factors: Record<'totp' | 'backup_code' | 'email_code', boolean>
  reverification: {
    enabled: boolean
    max_age_minutes: number
    level: 'first_factor' | 'second_factor' | 'multi_factor'
  }
  mfa_required: boolean
}

export type InstanceStats = {
  users: number
  active_sessions: number
  days: { date: string; sign_ups: number; sign_ins: number }[]
}

export type EmailAddress = {
  id: string
  email_address: string
  verification: { status: string } | null
}

export type User = {
  id: string
  external_id: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  primary_email_address_id: string | null
  email_addresses: EmailAddress[]
  phone_numbers?: { id: string; phone_number: string }[]
  web3_wallets?: { id: string; web3_wallet: string }[]
  banned: boolean
  locked: boolean
  two_factor_enabled?: boolean
  public_metadata: Record<string, unknown>
  private_metadata: Record<string, unknown>
  unsafe_metadata: Record<string, unknown>
  created_at: number
  last_sign_in_at: number | null
}

export type Session = {
  id: string
  status: string
  created_at: number
  last_active_at: number
  expire_at: number
  latest_activity: {
    browser_name?: string | null
    browser_version?: string | null
    device_type?: string | null
    os?: string | null
    ip_address?: string | null
    city?: string | null
    country?: string | null
    is_mobile?: boolean | null
  } | null
}

export type SecretKey = {
  id: string
  prefix?: string
  label: string | null
  created_at: number
  secret?: string
}

/** `GET /v1/oauth_applications/{id}`; `client_secret` only in a create's or rotate's answer. */
export type OAuthApplication = {
  id: string
  name: string
  client_id: string
  client_uri: string | null
  client_image_url: string | null
  dynamically_registered: boolean
  consent_screen_enabled: boolean
  pkce_required: boolean
  public: boolean
  scopes: string
  redirect_uris: string[]
  authorize_url: string
  token_fetch_url: string
  user_info_url: string
  discovery_url: string
  token_introspection_url: string
  created_at: number
  updated_at: number
  client_secret?: string
}

export type AuditEvent = {
  id: string
  actor: { type: string; id: string | null; email_address: string | null }
  action: string
  method: string
  route: string
  target_id: string | null
  status_code: number
  ip: string | null
  user_agent: string | null
  created_at: number
}

export type Paginated<T> = { data: T[]; total_count: number }

export type JwtTemplate = {
  id: string
  name: string
  claims: Record<string, unknown>
  lifetime: number
  allowed_clock_skew: number
  custom_signing_key: boolean
  signing_algorithm: string
  updated_at: number
}

export type JwtTemplatePreset = { name: string; claims: Record<string, unknown> }

/** What a token would carry (never a token: unsigned, unsaved). */
export type TokenPreview = {
  user_id: string
  /** null: the user has no active session; the preview used a stand-in. */
  session_id: string | null
  payload: Record<string, unknown>
}

/** `GET /v1/oauth_connections`: a social connection; its secret is never in the answer. */
export type OAuthConnection = {
  id: string
  provider: string
  strategy: string
  issuer: string
  client_id: string
  scopes: string
  enabled: boolean
  team_id: string | null
  key_id: string | null
  endpoint_base_url: string | null
  created_at: number
  updated_at: number
}

/** `GET /v1/webhooks/endpoints/{id}`; `secret` only in a create's or rotate's answer. */
export type WebhookEndpoint = {
  id: string
  url: string
  description: string
  /** null: every type but `email.created`. */
  event_types: string[] | null
  enabled: boolean
  disabled_reason: string | null
  failing_since: number | null
  created_at: number
  updated_at: number
  secret?: string
}

/** One event sent to one endpoint, with every attempt (`…/deliveries`). */
export type WebhookDelivery = {
  id: string
  event_id: string
  event_type: string
  status: 'pending' | 'succeeded' | 'failed'
  attempts: number
  next_attempt_at: number | null
  last_status_code: number | null
  last_response: string | null
  last_error: string | null
  created_at: number
  updated_at: number
  delivered_at: number | null
  attempt_log: {
    attempt: number
    status_code: number | null
    response_excerpt: string | null
    error: string | null
    duration_ms: number
    created_at: number
  }[]
}

/** `GET /v1/webhooks/stats`: the outbox's lag, and deliveries by status (per endpoint too). */
export type WebhookStats = {
  undispatched_events: number
  oldest_undispatched_age_ms: number | null
  pending_deliveries: number
  failed_deliveries: number
  succeeded_deliveries: number
  oldest_pending_age_ms: number | null
  endpoints: {
    endpoint_id: string
    enabled: boolean
    failing_since: number | null
    pending: number
    failed: number
    succeeded: number
    oldest_pending_age_ms: number | null
  }[]
}

/** `GET /v1/enterprise_connections/{id}`: a SAML (`samlc_…`) or OIDC (`entc_…`) connection. */
export type EnterpriseConnection = {
  object: 'enterprise_connection'
  id: string
  name: string
  provider: string
  active: boolean
  domains: string[]
  /** Active and configured: sign-ins for its domains go to its IdP. */
  authenticatable: boolean
  sync_user_attributes: boolean
  allow_subdomains: boolean
  saml_connection: {
    id: string
    idp_entity_id: string | null
    idp_sso_url: string | null
    idp_metadata_url: string | null
    acs_url: string
    sp_entity_id: string
    sp_metadata_url: string
    allow_idp_initiated: boolean
  } | null
  oauth_config: {
    client_id: string | null
    discovery_url: string | null
    scopes: string | null
  } | null
  created_at: number
  updated_at: number
}

/** `GET /v1/saml_connections/{id}`: what the enterprise view leaves out (certificate, users). */
export type SamlConnection = {
  id: string
  idp_entity_id: string | null
  idp_sso_url: string | null
  idp_certificate: string | null
  idp_certificate_expires_at: number | null
  idp_metadata_url: string | null
  user_count: number
  attribute_mapping: Record<'user_id' | 'email_address' | 'first_name' | 'last_name', string>
}

/** `GET /v1/instance/session_settings` (seconds; issue #20). */
export type SessionSettings = {
  max_session_lifetime: number
  inactivity_timeout_enabled: boolean
  inactivity_timeout: number
  defaults: { max_session_lifetime: number; inactivity_timeout: number }
  overridden: { max_session_lifetime: boolean; inactivity_timeout: boolean }
}

/** `GET /v1/instance/user_lockout` (issue #20). */
export type LockoutSettings = {
  max_attempts: number
  duration_in_seconds: number
  duration_in_minutes: number
  defaults: { max_attempts: number; duration_in_seconds: number }
  overridden: { max_attempts: boolean; duration_in_seconds: boolean }
}
