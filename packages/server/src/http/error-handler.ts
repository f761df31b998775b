import { ApiError, type ErrorCode } from '@latchkey/contracts'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendJson } from './define-route.js'

/** Fastify's own errors (body parsing, limits) as Clerk codes. */
function fromFastify(error: FastifyError): ApiError | undefined {
  const status = error.statusCode ?? 500
  if (status >= 500) return undefined
  const byStatus: Partial<Record<number, ErrorCode>> = {
    413: 'request_body_too_large',
    415: 'unsupported_content_type',
    429: 'too_many_requests',
  }
  const code = byStatus[status] ?? (status === 404 ? 'resource_not_found' : 'request_body_invalid')
  return ApiError.of(code, { longMessage: error.message, cause: error })
}

/** The seconds a 429 says to wait (`meta.retry_after_seconds`), for its `Retry-After` header. */
export function retryAfterOf(error: ApiError): number | undefined {
  const seconds = error.errors[0]?.meta?.retry_after_seconds
  return typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : undefined
}

/**
 * Every error leaves as Clerk's `{ errors: [...], clerk_trace_id }`. Anything that is not an
 * ApiError or a Fastify client error is a bug: logged in full, answered as a generic 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const apiError = error instanceof ApiError ? error : fromFastify(error)
    if (!apiError) {
      req.log.error({ err: error }, 'unhandled error')
      const internal = ApiError.of('internal_error')
      return sendJson(reply, 500, { ...internal.toJSON(), clerk_trace_id: req.id })
    }
    if (apiError.status === 429 && !reply.hasHeader('retry-after'))
      reply.header('retry-after', String(retryAfterOf(apiError) ?? 10))
    return sendJson(reply, apiError.status, { ...apiError.toJSON(), clerk_trace_id: req.id })
  })
  app.setNotFoundHandler((req, reply) => {
    const error = ApiError.of('resource_not_found', {
      longMessage: `No route ${req.method} ${req.url.split('?')[0]}.`,
    })
    return sendJson(reply, 404, { ...error.toJSON(), clerk_trace_id: req.id })
  })
}
