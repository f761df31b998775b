import type { JsonObject } from '@latchkey/db'

/**
 * Clerk's metadata merge: objects merge recursively, a `null` value deletes the key, anything
 * else replaces. Returns a new object.
 */
export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k]
    } else if (isObject(v) && isObject(out[k])) {
      out[k] = deepMerge(out[k] as JsonObject, v)
    } else {
      out[k] = v
    }
  }
  return out
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
