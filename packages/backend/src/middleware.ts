import type { IncomingMessage } from 'node:http'
import {
  type AuthenticateOptions,
  authenticateToken,
  type RequestAuth,
  tokenFromHeaders,
} from './authenticate-request.js'

const fromNode = (req: IncomingMessage) =>
  tokenFromHeaders(
    req.headers.authorization,
    Array.isArray(req.headers.cookie) ? req.headers.cookie.join('; ') : req.headers.cookie,
  )

/**
 * Express (or any `(req, res, next)` framework) middleware: sets `req.auth` to the request's
 * {@link RequestAuth}. It does not refuse anyone; check `req.auth.isSignedIn` in your routes.
 *
 * @example
 * ```ts
 * app.use(latchkeyExpress({ jwksUrl: 'https://auth.example.com/.well-known/jwks.json' }))
 * app.get('/me', (req, res) => req.auth.isSignedIn ? res.json({ id: req.auth.userId }) : res.sendStatus(401))
 * ```
 */
export function latchkeyExpress(options: AuthenticateOptions) {
  return (
    req: IncomingMessage & { auth?: RequestAuth },
    _res: unknown,
    next: (err?: unknown) => void,
  ): void => {
    authenticateToken(fromNode(req), options).then(
      (auth) => {
        req.auth = auth
        next()
      },
      (err: unknown) => next(err),
    )
  }
}

/**
 * A Fastify `onRequest` hook that sets `request.auth`. Declare the property with
 * `fastify.decorateRequest('auth', null)` before adding it.
 *
 * @example
 * ```ts
 * app.decorateRequest('auth', null)
 * app.addHook('onRequest', latchkeyFastify({ jwksUrl }))
 * ```
 */
export function latchkeyFastify(options: AuthenticateOptions) {
  return async (request: { raw: IncomingMessage; auth?: RequestAuth | null }): Promise<void> => {
    request.auth = await authenticateToken(fromNode(request.raw), options)
  }
}
