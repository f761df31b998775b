import { ApiError } from '@latchkey/contracts'
import { type SignUpRow, writeAtomically } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import type { VerificationTarget } from '../verification/strategy.js'
import { completeSignUp } from './sign-up-completion.js'
import type { SignUpResult } from './sign-ups.service.js'

/** The strategies that prove a sign-up's email address, as the instance enables them. */
export async function signUpStrategies(d: ServiceDeps): Promise<string[]> {
  const { first_factors } = await d.services.instance.settings()
  return (['email_code', 'email_link'] as const).filter((s) => first_factors[s])
}

function assertPending(d: ServiceDeps, s: SignUpRow): void {
  if (d.clock.now() >= s.abandon_at) throw ApiError.of('sign_in_expired')
  if (s.status !== 'missing_requirements' || !s.email_address)
    throw ApiError.of('sign_up_not_ready')
}

const target = (s: SignUpRow): VerificationTarget => ({
  ownerId: s.id,
  slot: 'email_address',
  purpose: 'sign_up',
  emailAddress: s.email_address ?? '',
  emailAddressId: null,
  clientId: s.client_id,
})

/** `POST …/sign_ups/{id}/prepare_verification`: sends the code or link for the address. */
export async function prepareSignUpVerification(
  d: ServiceDeps,
  signUp: SignUpRow,
  input: { strategy: string; redirectUrl?: string | undefined },
  device: Device,
): Promise<SignUpRow> {
  assertPending(d, signUp)
  const { verifications } = d.services
  const strategy = verifications.strategy(input.strategy, await signUpStrategies(d))
  const writes = await verifications.prepare(strategy, target(signUp), input, device)
  await writeAtomically(d.db, d.dialect, writes)
  d.services.mail.kick()
  return signUp
}

/** `POST …/sign_ups/{id}/attempt_verification` with a code: proved, the sign-up completes. */
export async function attemptSignUpVerification(
  d: ServiceDeps,
  signUp: SignUpRow,
  input: { strategy: string; code?: string | undefined },
  device: Device,
): Promise<SignUpResult> {
  assertPending(d, signUp)
  const { verifications } = d.services
  const strategy = verifications.strategy(input.strategy, ['email_code'])
  const owner = { id: signUp.id, slot: 'email_address' as const, clientId: signUp.client_id }
  await verifications.attempt(strategy, owner, undefined, { code: input.code }, device)
  return completeSignUp(d, signUp, undefined, signUp.client_id, device)
}

/** An email link opened in the sign-up's own browser: the sign-up completes there. */
export function completeLinkedSignUp(
  d: ServiceDeps,
  signUp: SignUpRow,
  device: Device,
): Promise<SignUpResult> {
  assertPending(d, signUp)
  return completeSignUp(d, signUp, undefined, signUp.client_id, device)
}
