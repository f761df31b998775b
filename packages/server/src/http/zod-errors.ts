import { ApiError, type ApiErrorEntry } from '@latchkey/contracts'
import type * as z from 'zod'

/**
 * Maps zod issues to Clerk's field errors: a missing field is `form_param_missing`, an unknown one
 * `form_param_unknown`, anything else `form_param_format_invalid`; each names its parameter.
 */
export function zodToApiError(error: z.ZodError, location: 'body' | 'query' | 'params'): ApiError {
  const entries: ApiErrorEntry[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        entries.push(ApiError.entry('form_param_unknown', { meta: { param_name: key } }))
      }
      continue
    }
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : location
    const missing = issue.code === 'invalid_type' && issue.input === undefined
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
