import type { Write } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import type { PrepareInput } from '../verification/strategy.js'

/**
 * The provider redirect an `oauth_*` or `enterprise_sso` sign-in or sign-up starts with: the
 * strategy's unverified verification in the owner's `first_factor` slot (one callback serves
 * sign-ins and sign-ups: oauth-callback.routes.ts), whose `external_verification_redirect_url`
 * sends the browser on. Returns its writes, for the flow to write with its own row. No send
 * limits: nothing is sent to anyone, and the callback alone can verify it.
 */
export async function prepareProviderRedirect(
  d: ServiceDeps,
  device: Device,
  start: {
    strategy: string
    ownerId: string
    purpose: 'sign_in' | 'sign_up'
    clientId: string
    /** `enterprise_sso`: the address whose domain chose the connection (its `login_hint`). */
    emailAddress: string | null | undefined
    userId?: string | null | undefined
  },
  input: Pick<PrepareInput, 'redirectUrl' | 'actionCompleteRedirectUrl' | 'proxyUrl'>,
): Promise<Write[]> {
  const strategy = d.services.verifications.strategy(start.strategy, [start.strategy])
  const target = {
    ownerId: start.ownerId,
    slot: 'first_factor' as const,
    purpose: start.purpose,
    emailAddress: start.emailAddress?.trim().toLowerCase() ?? '',
    emailAddressId: null,
    clientId: start.clientId,
    ...(start.userId !== undefined ? { userId: start.userId } : {}),
  }
  const prepared = await strategy.prepare?.({ deps: d, device }, target, {
    redirectUrl: input.redirectUrl,
    actionCompleteRedirectUrl: input.actionCompleteRedirectUrl,
    proxyUrl: input.proxyUrl,
  })
  return prepared?.writes ?? []
}
