import type { ClientResource } from './resources.js'
import type { SignInResource } from './sign-in-resource.js'
import type { SignUpResource } from './sign-up-resource.js'

/**
 * Where a return from a provider left the flow ({@link finishRedirectFlow}): signed in (the
 * session to make active), a second factor to prove, a sign-up that needs more fields, or a
 * provider that refused.
 */
export type RedirectOutcome =
  | { status: 'complete'; sessionId: string }
  | { status: 'needs_second_factor'; signIn: SignInResource }
  | { status: 'missing_requirements'; signUp: SignUpResource }
  | { status: 'failed'; message: string }
  | { status: 'none' }

/** A strategy whose proof comes back from a redirect: a social connection or enterprise SSO. */
const redirected = (strategy: string | null | undefined): boolean =>
  !!strategy &&
  (strategy.startsWith('oauth_') || strategy === 'enterprise_sso' || strategy === 'saml')

/**
 * Clerk's `handleRedirectCallback` decisions, over the client as the server has it after the
 * callback: a completed sign-in or sign-up gives its session; a sign-in whose provider account
 * belongs to nobody transfers to a sign-up (`transfer: true`), a sign-up whose account exists
 * transfers to a sign-in; what the provider did not give leaves the sign-up
 * `missing_requirements` for the app to complete.
 */
export async function finishRedirectFlow(client: ClientResource): Promise<RedirectOutcome> {
  const { signIn, signUp } = client
  const inV = signIn.firstFactorVerification
  const upV = signUp.verifications.externalAccount
  if (signIn.status === 'complete' && signIn.createdSessionId)
    return { status: 'complete', sessionId: signIn.createdSessionId }
  if (signIn.status === 'needs_second_factor') return { status: 'needs_second_factor', signIn }
  if (redirected(inV.strategy) && inV.status === 'transferable')
    return ofSignUp(await signUp.create({ transfer: true }))
  if (redirected(upV.strategy) && upV.status === 'transferable') {
    const transferred = await signIn.create({ transfer: true })
    if (transferred.status === 'complete' && transferred.createdSessionId)
      return { status: 'complete', sessionId: transferred.createdSessionId }
    if (transferred.status === 'needs_second_factor')
      return { status: 'needs_second_factor', signIn: transferred }
    return failed(transferred.firstFactorVerification.error?.longMessage)
  }
  if (redirected(upV.strategy)) return ofSignUp(signUp)
  if (redirected(inV.strategy) && inV.status === 'failed') return failed(inV.error?.longMessage)
  return { status: 'none' }
}

function ofSignUp(signUp: SignUpResource): RedirectOutcome {
  if (signUp.status === 'complete' && signUp.createdSessionId)
    return { status: 'complete', sessionId: signUp.createdSessionId }
  if (signUp.status === 'missing_requirements') return { status: 'missing_requirements', signUp }
  return failed(signUp.verifications.externalAccount.error?.longMessage)
}

const failed = (message: string | undefined): RedirectOutcome => ({
  status: 'failed',
  message: message || 'The sign-in with that provider did not complete. Please try again.',
})
