export {
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
