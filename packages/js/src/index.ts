import { Latchkey } from './latchkey.js'
import * as ui from './ui/index.js'

Latchkey.ui = ui

export { describeError, ERROR_MESSAGES } from './errors.js'
export { type LatchkeyAPIErrorEntry, LatchkeyAPIResponseError } from './fapi.js'
/** Clerk's name for the same class: `import { Clerk } from '@latchkey/js'`. */
export {
  type DisplayConfig,
  type EnvironmentJSON,
  frontendApiFromKey,
  Latchkey,
  Latchkey as Clerk,
  type LatchkeyOptions,
  type Listener,
  type Resources,
  type SignInProps,
  type SignUpProps,
  type UserAttributeJSON,
  type UserButtonProps,
  type UserProfileProps,
} from './latchkey.js'
export {
  BackupCodeResource,
  ClientResource,
  type DeletedObjectResource,
  EmailAddressResource,
  ExternalAccountResource,
  type GetTokenOptions,
  SessionResource,
  type SessionTask,
  type SessionVerificationLevel,
  SessionVerificationResource,
  SessionWithActivitiesResource,
  SignInResource,
  SignUpResource,
  TOTPResource,
  UserResource,
  type WebAuthnErrorCode,
} from './resources.js'
export type {
  AuthenticateWithRedirectParams,
  OAuthStrategy,
  SignInFactor,
  SignInFirstFactorStrategy,
  SignInSecondFactorStrategy,
} from './sign-in-resource.js'
export type { RedirectOutcome } from './sso-callback.js'
export { jwtExpiry, TokenCache, type TokenCacheOptions } from './token-cache.js'
export type { Appearance } from './ui/theme.js'
export { type EmailLinkFlow, VerificationResource } from './verification.js'
