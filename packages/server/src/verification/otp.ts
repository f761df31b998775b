import { ApiError, newId } from '@latchkey/contracts'
import type { VerificationRow } from '@latchkey/db'
import type { MailMessage } from '../mail/mail-message.js'
import { newCode, VERIFICATION_TTL_MS } from './secrets.js'
import type { Prepared, StrategyContext, VerificationTarget } from './strategy.js'
import { verificationUpsert } from './verifications.repository.js'

/** A fresh verification row for `target`, unverified, expiring in 10 minutes. */
export function newVerificationRow(
  ctx: StrategyContext,
  target: VerificationTarget,
  strategy: string,
): VerificationRow {
  const now = ctx.deps.clock.now()
  return {
    id: newId('verification'),
    owner_id: target.ownerId,
    slot: target.slot,
    strategy,
    status: 'unverified',
    secret_hash: null,
    attempts: 0,
    email_address: target.emailAddress,
    email_address_id: target.emailAddressId,
    client_id: target.clientId,
    redirect_url: null,
    verified_at_client: null,
    sent_at: now,
    verified_at: null,
    expire_at: now + VERIFICATION_TTL_MS,
    created_at: now,
    updated_at: now,
    nonce: null,
  }
}

/** Prepares a one-time code: the row with the code's HMAC and the mail that carries the code. */
export function prepareCode(
  ctx: StrategyContext,
  target: VerificationTarget,
  strategy: string,
  message: (code: string) => MailMessage,
): Prepared {
  const code = newCode()
  const base = newVerificationRow(ctx, target, strategy)
  const row = { ...base, secret_hash: ctx.deps.services.verifications.secrets.hash(base.id, code) }
  return {
    row,
    writes: [
      verificationUpsert(row),
      ...ctx.deps.services.mail.enqueue(target.emailAddress, message(code), {
        emailAddressId: target.emailAddressId,
        userId: target.userId,
      }),
    ],
  }
}

/** Compares a code in constant time; a wrong or missing one is Clerk's `form_code_incorrect`. */
export function checkCode(
  ctx: StrategyContext,
  row: VerificationRow | undefined,
  code: string | undefined,
): void {
  const secrets = ctx.deps.services.verifications.secrets
  if (!row || code === undefined || !secrets.matches(row.id, code.trim(), row.secret_hash)) {
    throw ApiError.of('form_code_incorrect', { meta: { param_name: 'code' } })
  }
}
