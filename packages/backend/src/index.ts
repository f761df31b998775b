export {
  type KeySource,
  localKeySet,
  TokenVerificationError,
  type TokenVerificationReason,
  type VerifyOptions,
  verifyToken,
} from './verify-token.js'
