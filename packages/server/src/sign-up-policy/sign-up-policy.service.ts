import { ApiError } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { InstanceSettings } from '../instance/instance.service.js'
import { candidatesFor, hasSubaddress } from './identifiers.js'
import { anyListed } from './restriction-identifiers.repository.js'

/**
 * Whether the restrictions also hold at sign-in (Clerk's `allowlist_blocklist_disabled_on_sign_in`
 * is false by default). Latchkey enforces them at sign-up only so far: the sign-in engine does not
 * consult this policy yet, and `PATCH /v1/instance/restrictions` says so instead of pretending.
 * TODO(#16): flip when sign-in calls the policy.
 */
export const RESTRICTIONS_ON_SIGN_IN = false

const notAllowed = (email: string) =>
  ApiError.of('not_allowed_access', {
    longMessage: `${email} is not allowed to access this application.`,
    meta: { param_name: 'email_address' },
  })

const subaddressRefused = () =>
  ApiError.of('not_allowed_access', {
    longMessage: "Email address must not contain the characters '+', '=', or '#'.",
    meta: { param_name: 'email_address' },
  })

/**
 * Who may sign up (Clerk's sign-up modes and restrictions), checked before a sign-up is
 * created or given an address. In order:
 * 1. `block_email_subaddresses`: an address with `+`, `=` or `#` in its local part is refused;
 * 2. an identifier on the allowlist (exact, or its domain's `*@domain`) may sign up whatever the
 *    blocklist says (Clerk: the allowlist takes precedence);
 * 3. `sign_up.mode: restricted` refuses everyone else (`sign_up_mode_restricted`; invitations
 *    will be the other way in);
 * 4. an enabled allowlist refuses everyone else, an enabled blocklist refuses what it names
 *    (`not_allowed_access`).
 */
export class SignUpPolicyService {
  private readonly d: {
    db: Kysely<Database>
    settings: () => Promise<InstanceSettings>
  }

  constructor(deps: {
    db: Kysely<Database>
    settings: () => Promise<InstanceSettings>
  }) {
    this.d = deps
  }

  /**
   * Whether a signed-in user may add `emailAddress` to their account: the rules that say an
   * identifier is unwelcome (subaddresses when blocked, the blocklist unless the allowlist names
   * it) hold, or a blocked address could be added after signing up with another and then used to
   * sign in. The rules that say who may join (restricted mode, the allowlist) admit people, and
   * this person is admitted already.
   */
  async assertMayAddEmail(emailAddress: string): Promise<void> {
    const email = emailAddress.trim().toLowerCase()
    const { restrictions: r } = await this.d.settings()
    if (r.block_email_subaddresses && hasSubaddress(email)) throw subaddressRefused()
    if (!r.blocklist) return
    const allowed =
      r.allowlist &&
      (await anyListed(this.d.db, 'allowlist', candidatesFor(email, { stripSubaddress: false })))
    if (allowed) return
    if (await anyListed(this.d.db, 'blocklist', candidatesFor(email, { stripSubaddress: true }))) {
      throw notAllowed(email)
    }
  }

  /** Throws Clerk's error when `emailAddress` may not sign up; resolves when it may. */
  async assertMaySignUp(emailAddress: string): Promise<void> {
    const email = emailAddress.trim().toLowerCase()
    const { restrictions: r, sign_up } = await this.d.settings()
    if (r.block_email_subaddresses && hasSubaddress(email)) {
      throw subaddressRefused()
    }
    const restricted = sign_up.mode === 'restricted'
    const checksAllowlist = restricted || r.allowlist
    if (!checksAllowlist && !r.blocklist) return
    const allowed =
      checksAllowlist &&
      (await anyListed(this.d.db, 'allowlist', candidatesFor(email, { stripSubaddress: false })))
    if (allowed) return
    if (restricted) throw ApiError.of('sign_up_mode_restricted')
    if (r.allowlist) throw notAllowed(email)
    if (await anyListed(this.d.db, 'blocklist', candidatesFor(email, { stripSubaddress: true }))) {
      throw notAllowed(email)
    }
  }
}
