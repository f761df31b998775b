export {
  type ApiErrorEntry,
  type Camelize,
  type ClientOptions,
  createLatchkeyClient,
  type DeletedObject,
  type EmailAddress,
  type JwtTemplate,
  LatchkeyAPIResponseError,
  type LatchkeyClient,
  type OAuthApplication,
  type Paginated,
  type Session,
  type User,
} from './api-client.js'
export {
  type AuthenticateOptions,
  authenticateRequest,
  authenticateToken,
  type RequestAuth,
  tokenFromHeaders,
} from './authenticate-request.js'
export { latchkeyExpress, latchkeyFastify } from './middleware.js'
export {
  type KeySource,
  type TokenClaims,
  TokenVerificationError,
  type TokenVerificationReason,
  type VerifyOptions,
  verifyToken,
} from './verify-token.js'
