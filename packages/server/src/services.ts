import { ClientsService } from './clients/clients.service.js'
import { FapiRenderService } from './clients/fapi-render.service.js'
import { EnterpriseConnectionsService } from './enterprise-sso/enterprise-connections.service.js'
import { EnterpriseOidcService } from './enterprise-sso/enterprise-oidc.service.js'
import { SamlService } from './enterprise-sso/saml.service.js'
import { ExternalAccountsService } from './external-accounts/external-accounts.service.js'
import { OAuthConnectionsService } from './external-accounts/oauth-connections.service.js'
import { HandshakeService } from './handshake/handshake.service.js'
import { ProfileImagesService } from './images/profile-images.service.js'
import { InstanceService } from './instance/instance.service.js'
import { InstanceStatsService } from './instance/instance-stats.service.js'
import { SecretKeysService } from './instance/secret-keys.service.js'
import { SigningKeysService } from './keys/signing-keys.service.js'
import { MailService } from './mail/mail.service.js'
import { MfaService } from './mfa/mfa.service.js'
import { OAuthApplicationsService } from './oauth/oauth-applications.service.js'
import { AuditService } from './operators/audit.service.js'
import { OperatorCredentialsService } from './operators/operator-credentials.service.js'
import { OperatorsService } from './operators/operators.service.js'
import { PasskeysService } from './passkeys/passkeys.service.js'
import { RateLimitsService } from './rate-limits/rate-limits.service.js'
import type { ServiceDeps } from './service-deps.js'
import { SessionVerificationsService } from './session-verifications/session-verifications.service.js'
import { SessionsService } from './sessions/sessions.service.js'
import { SignInsService } from './sign-ins/sign-ins.service.js'
import { RestrictionIdentifiersService } from './sign-up-policy/restriction-identifiers.service.js'
import { SignUpPolicyService } from './sign-up-policy/sign-up-policy.service.js'
import { SignUpsService } from './sign-ups/sign-ups.service.js'
import { JwtTemplatesService } from './templates/jwt-templates.service.js'
import { SessionTokenService } from './tokens/session-token.service.js'
import { EmailAddressesService } from './users/email-addresses.service.js'
import { UserEmailsService } from './users/user-emails.service.js'
import { UsersService } from './users/users.service.js'
import { VerificationsService } from './verification/verifications.service.js'
import { WebhookEventsService } from './webhooks/webhook-events.service.js'
import { WebhookWorker } from './webhooks/webhook-worker.js'
import { WebhooksService } from './webhooks/webhooks.service.js'

/** Every service, built once per app (composition root: app.ts). */
export type Services = {
  readonly instance: InstanceService
  readonly secretKeys: SecretKeysService
  readonly keys: SigningKeysService
  readonly users: UsersService
  readonly clients: ClientsService
  readonly sessions: SessionsService
  readonly sessionTokens: SessionTokenService
  readonly signIns: SignInsService
  readonly signUps: SignUpsService
  readonly render: FapiRenderService
  readonly jwtTemplates: JwtTemplatesService
  readonly oauthApplications: OAuthApplicationsService
  readonly rateLimits: RateLimitsService
  readonly handshake: HandshakeService
  readonly images: ProfileImagesService
  readonly userEmails: UserEmailsService
  readonly verifications: VerificationsService
  readonly mail: MailService
  /** Clerk's Backend API `email_addresses` resource. */
  readonly emailAddresses: EmailAddressesService
  /** Allowlist and blocklist identifiers. */
  readonly restrictionIdentifiers: RestrictionIdentifiersService
  /** Who may sign up: sign-up mode and restrictions (the sign-up engine asks it). */
  readonly signUpPolicy: SignUpPolicyService
  /** A user's second factors: TOTP and backup codes (issue #17). */
  readonly mfa: MfaService
  /** Step-up: a signed-in user proves a factor again (issue #17, Clerk's reverification). */
  readonly sessionVerifications: SessionVerificationsService
  /** A user's WebAuthn passkeys (issue #17 item 5). */
  readonly passkeys: PasskeysService
  /** Upstream OpenID Connect providers the operator configured (issue #18). */
  readonly oauthConnections: OAuthConnectionsService
  /** Users' accounts at those providers, and the redirect flows that prove them (issue #18). */
  readonly externalAccounts: ExternalAccountsService
  /** The webhook outbox: events written with the changes that cause them (issue #19). */
  readonly webhookEvents: WebhookEventsService
  /** Enterprise SSO connections bound to email domains (issue #18 item 4). */
  readonly enterpriseConnections: EnterpriseConnectionsService
  /** The SAML 2.0 service provider (issue #18 item 4). */
  readonly saml: SamlService
  /** Enterprise connections over OpenID Connect: settings, discovery, the code flow (#18 item 4). */
  readonly enterpriseOidc: EnterpriseOidcService
  /** Webhook endpoints, their deliveries, replay, test events and lag (issue #19). */
  readonly webhooks: WebhooksService
  /** Fans events out to endpoints and delivers them, in every server process (issue #19). */
  readonly webhookWorker: WebhookWorker
  /** Users who may sign in to the operator dashboard (issue #20). */
  readonly operators: OperatorsService
  /** Operator sign-in and its short-lived `lk_op_…` credential (issue #20). */
  readonly operatorCredentials: OperatorCredentialsService
  /** What operators did through the Backend API (issue #20). */
  readonly audit: AuditService
  /** The dashboard's overview counts (issue #20). */
  readonly instanceStats: InstanceStatsService
}

/** Builds the registry; each service reaches the others through `deps.services`. */
export function createServices(base: Omit<ServiceDeps, 'services'>): Services {
  const services = {} as { -readonly [K in keyof Services]: Services[K] }
  const deps: ServiceDeps = { ...base, services }
  services.instance = new InstanceService(deps)
  services.secretKeys = new SecretKeysService(deps)
  services.keys = new SigningKeysService(deps)
  services.users = new UsersService(deps)
  services.clients = new ClientsService(deps)
  services.sessions = new SessionsService(deps)
  services.sessionTokens = new SessionTokenService(deps)
  services.signIns = new SignInsService(deps)
  services.signUps = new SignUpsService(deps)
  services.render = new FapiRenderService(deps)
  services.jwtTemplates = new JwtTemplatesService(deps)
  services.oauthApplications = new OAuthApplicationsService(deps)
  services.rateLimits = new RateLimitsService(deps)
  services.handshake = new HandshakeService(deps)
  services.images = new ProfileImagesService(deps)
  services.userEmails = new UserEmailsService(deps)
  services.verifications = new VerificationsService(deps)
  services.mail = new MailService(deps)
  services.sessionVerifications = new SessionVerificationsService(deps)
  services.passkeys = new PasskeysService(deps)
  // These name the few things they use (STYLE.md §10), not the whole registry.
  services.emailAddresses = new EmailAddressesService({
    db: base.db,
    clock: base.clock,
    users: services.users,
  })
  services.restrictionIdentifiers = new RestrictionIdentifiersService({
    db: base.db,
    clock: base.clock,
    instanceId: () => services.instance.id,
  })
  services.signUpPolicy = new SignUpPolicyService({
    db: base.db,
    settings: () => services.instance.settings(),
  })
  services.mfa = new MfaService({
    db: base.db,
    clock: base.clock,
    box: base.box,
    rateLimits: services.rateLimits,
    users: services.users,
    sessions: services.sessions,
    applicationName: async () => (await services.instance.settings()).application_name,
    secondFactors: async () => (await services.instance.settings()).second_factors,
    mfaRequired: async () => (await services.instance.settings()).mfa_required,
  })
  services.oauthConnections = new OAuthConnectionsService({
    db: base.db,
    clock: base.clock,
    box: base.box,
    policy: base.config.outboundAllowPrivate,
  })
  services.externalAccounts = new ExternalAccountsService(deps)
  services.webhookEvents = new WebhookEventsService(deps)
  services.enterpriseConnections = new EnterpriseConnectionsService(deps)
  services.saml = new SamlService(deps)
  services.enterpriseOidc = new EnterpriseOidcService(deps)
  services.webhooks = new WebhooksService(deps)
  services.webhookWorker = new WebhookWorker(deps)
  services.operators = new OperatorsService({
    db: base.db,
    clock: base.clock,
    users: services.users,
  })
  services.audit = new AuditService({ db: base.db, clock: base.clock })
  services.operatorCredentials = new OperatorCredentialsService(deps)
  services.instanceStats = new InstanceStatsService({ db: base.db, clock: base.clock })
  return services
}
