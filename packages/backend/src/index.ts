export {
  type KeySource,
  type TokenClaims,
  TokenVerificationError,
  type TokenVerificationReason,
  type VerifyOptions,
  verifyToken,
} from './verify-token.js'
