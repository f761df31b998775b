import { ApiError, type ApiErrorEntry } from '@latchkey/contracts'
import type * as z from 'zod'

/**
 * Maps zod issues to Clerk's field errors: a missing field is `form_param_missing`, an unknown one
 * `form_param_unknown`, anything else `form_param_format_invalid`; each names its parameter.
 */
export function zodToApiError(
  error: z.ZodError,
  location: 'body' | 'query' | 'params',
  input: unknown,
): ApiError {
  const entries: ApiErrorEntry[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        entries.push(ApiError.entry('form_param_unknown', { meta: { param_name: key } }))
      }
      continue
    }
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : location
    const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined
    entries.push(
      missing
        ? ApiError.entry('form_param_missing', { meta: { param_name: name } })
        : ApiError.entry('form_param_format_invalid', {
            longMessage: `${name} is invalid: ${issue.message}`,
            meta: { param_name: name },
          }),
    )
  }
  const [first, ...rest] = entries
  return first ? new ApiError([first, ...rest]) : ApiError.of('request_body_invalid')
}

/** The raw input at a zod issue path (zod 4 does not echo inputs in issues by default). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined
    cur = (cur as Record<PropertyKey, unknown>)[key]
  }
  return cur
}
