import { ApiError } from '@latchkey/contracts'

/**
 * How deeply the objects and arrays of a request's JSON may nest. Clerk's own limits on
 * metadata and claims are far shallower; what matters is that everything after the parser
 * (zod, `JSON.stringify`, metadata merges, shortcodes) recurses, and 5,000 levels overflow the
 * stack (a RangeError, answered as a 500). 64 leaves every real document room.
 */
export const MAX_JSON_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/**
 * Whether the JSON in `bytes` nests objects and arrays deeper than `limit`: one linear pass
 * counting brackets outside strings, before the text is parsed. UTF-8 bytes, because brackets,
 * quotes and backslashes are ASCII and never occur inside a multi-byte character, and indexing
 * bytes is twice as fast as `charCodeAt`. It does not validate: malformed JSON is left to
 * `JSON.parse`, whose error is the caller's.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}

/** The answer to a body that nests too deeply: a 400, like any other unreadable body. */
export function tooDeepError(): ApiError {
  return ApiError.of('request_body_invalid', {
    longMessage: `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`,
  })
}
