import { useSyncExternalStore } from 'react'

/** Where the server serves the app (vite.config.mjs `base`). */
export const BASE = '/dashboard/'

export type Route =
  | { page: 'overview' }
  | { page: 'users' }
  | { page: 'user'; id: string }
  | { page: 'session-token' }
  | { page: 'jwt-templates' }
  | { page: 'jwt-template'; id: string }
  | { page: 'oauth-applications' }
  | { page: 'oauth-application'; id: string }
  | { page: 'configure' }
  | { page: 'integrations' }
  | { page: 'social-connections' }
  | { page: 'social-connection'; id: string }
  | { page: 'webhooks' }
  | { page: 'webhook'; id: string }
  | { page: 'api-keys' }
  | { page: 'audit' }
  | { page: 'enterprise-connections' }
  | { page: 'enterprise-connection'; id: string }
  | { page: 'not-found' }

/** `/dashboard/users/user_1` → `{ page: 'user', id: 'user_1' }`. */
export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : ''
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent)
  const [first, second] = parts
  if (parts.length === 0) return { page: 'overview' }
  if (first === 'users' && parts.length === 1) return { page: 'users' }
  if (first === 'users' && second && parts.length === 2) return { page: 'user', id: second }
  if (first === 'session-token' && parts.length === 1) return { page: 'session-token' }
  if (first === 'jwt-templates' && parts.length === 1) return { page: 'jwt-templates' }
  if (first === 'jwt-templates' && second && parts.length === 2)
    return { page: 'jwt-template', id: second }
  if (first === 'oauth-applications' && parts.length === 1) return { page: 'oauth-applications' }
  if (first === 'oauth-applications' && second && parts.length === 2)
    return { page: 'oauth-application', id: second }
  if (first === 'configure' && parts.length === 1) return { page: 'configure' }
  if (first === 'integrations' && parts.length === 1) return { page: 'integrations' }
  if (first === 'social-connections' && parts.length === 1) return { page: 'social-connections' }
  if (first === 'social-connections' && second && parts.length === 2)
    return { page: 'social-connection', id: second }
  if (first === 'webhooks' && parts.length === 1) return { page: 'webhooks' }
  if (first === 'webhooks' && second && parts.length === 2) return { page: 'webhook', id: second }
  if (first === 'api-keys' && parts.length === 1) return { page: 'api-keys' }
  if (first === 'audit' && parts.length === 1) return { page: 'audit' }
  if (first === 'enterprise-connections' && parts.length === 1)
    return { page: 'enterprise-connections' }
  if (first === 'enterprise-connections' && second && parts.length === 2)
    return { page: 'enterprise-connection', id: second }
  return { page: 'not-found' }
}

/** The URL of an app path: `users` → `/dashboard/users`. */
export function href(path: string): string {
  return `${BASE}${path.replace(/^\/+/, '')}`
}

const listeners = new Set<() => void>()
function subscribe(fn: () => void): () => void {
  listeners.add(fn)
  window.addEventListener('popstate', fn)
  return () => {
    listeners.delete(fn)
    window.removeEventListener('popstate', fn)
  }
}

/** Goes to an app path without reloading the page (the server answers every path with the app). */
export function navigate(path: string): void {
  window.history.pushState(null, '', href(path))
  for (const fn of listeners) fn()
}

/** The current path; the component re-renders when it changes. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}
