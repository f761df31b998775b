import type { ServiceDeps } from '../service-deps.js'
import { KNOWN_DEVICE_FAILURES } from './password-attempts.js'

const deviceKey = (clientId: string, userId: string) => `device-failures|${clientId}|${userId}`

/**
 * A known device of the user (password-attempts.ts rule 4): a client that has held a session of
 * the user that completed its sign-in, and has not failed too often on the account itself
 * lately. A pending session (its second factor still to set up) proved only the password, which
 * is what a guesser may have: it makes no device known. It is exempt from the
 * account's lockout, password's and second factor's alike, so a stranger's guessing cannot lock
 * the owner out.
 */
export async function isKnownDevice(
  d: ServiceDeps,
  clientId: string | undefined,
  userId: string,
): Promise<boolean> {
  if (clientId === undefined) return false
  const { sessions, rateLimits } = d.services
  if ((await sessions.count({ clientId, userId, completed: true })) === 0) return false
  const own = await rateLimits.count(deviceKey(clientId, userId), KNOWN_DEVICE_FAILURES.windowMs)
  return own < KNOWN_DEVICE_FAILURES.max
}

/** Counts a failure of `clientId` on the account, toward the end of its exemption. */
export async function recordDeviceFailure(
  d: ServiceDeps,
  clientId: string | undefined,
  userId: string,
): Promise<void> {
  if (clientId === undefined) return
  await d.services.rateLimits.hit(deviceKey(clientId, userId), KNOWN_DEVICE_FAILURES.windowMs)
}
