import type { FastifyInstance } from 'fastify'

/**
 * Every route the server has, as `METHOD /path/:param`, read from Fastify's route tree, so that a
 * route added later cannot be left out of a sweep unnoticed. `HEAD` is `GET`'s; the
 * `/_method/VERB/…` twins are listed the way they are reached, `POST /path?_method=VERB`.
 */
export function routePatterns(app: FastifyInstance): string[] {
  const out: string[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─ ]*)(\S+)(?: \(([^)]*)\))?$/u.exec(line)
    if (!m?.[2]) continue
    stack.length = (m[1] ?? '').length / 4 - 1
    stack.push(m[2])
    for (const method of (m[3] ?? '').split(', '))
      if (method && method !== 'HEAD' && method !== 'OPTIONS') {
        const path = stack.join('')
        const twin = /^\/_method\/([A-Z]+)(\/.*)$/.exec(path)
        out.push(twin ? `${method} ${twin[2]}?_method=${twin[1]}` : `${method} ${path}`)
      }
  }
  return out
}

/**
 * Whether a path a sweep sends is an instance of a route (`:param` matches one segment, a
 * trailing `*` the rest).
 */
export function covers(route: string, path: string): boolean {
  const pattern = (route.split('?')[0] ?? '')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:\w+/g, '[^/]+')
    // A wildcard route (the OAuth provider's mount) matches whatever follows.
    .replace(/\\\*$/, '.*')
  return new RegExp(`^${pattern}$`).test(path.split('?')[0] ?? '')
}
