import { ApiError } from '@latchkey/contracts'
import type { ClientRow, SessionRow, SignInRow, SignUpRow, UserRow } from '@latchkey/db'
import { fromDbJson } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { factorAges } from '../sessions/factor-ages.js'
import { effectiveStatus, isLive, tasksJSON } from '../sessions/sessions.mapper.js'
import {
  identifierFirstFactors,
  supportedFirstFactors,
  supportedSecondFactors,
} from '../sign-ins/sign-in-factors.js'
import { signUpStrategies } from '../sign-ups/sign-up-verification.js'
import type { UserJSON } from '../users/users.mapper.js'
import {
  PASSWORD_VERIFIED,
  signUpEmailVerificationJSON,
  verificationJSON,
} from '../verification/verification.render.js'

const nullIfEmpty = <T>(list: T[]): T[] | null => (list.length > 0 ? list : null)

/**
 * Renders Frontend API resources in Clerk's shapes (fapi spec `Client.Client`, `Client.Session`,
 * `Client.SignIn`, `Client.SignUp`). Users are rendered without `private_metadata`.
 */
export class FapiRenderService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  publicUserData(user: UserJSON) {
    const primary = user.email_addresses.find((e) => e.id === user.primary_email_address_id)
    return {
      first_name: user.first_name,
      last_name: user.last_name,
      image_url: user.image_url,
      has_image: user.has_image,
      identifier: primary?.email_address ?? user.username ?? '',
      profile_image_url: user.image_url,
      user_id: user.id,
      username: user.username,
    }
  }

  /** What a sign-in shows of the user it identified (fapi spec `Client.SignIn.user_data`). */
  signInUserData(user: UserJSON) {
    return {
      first_name: user.first_name,
      last_name: user.last_name,
      image_url: user.image_url,
      has_image: user.has_image,
      profile_image_url: user.image_url,
    }
  }

  /**
   * A session as its own client sees it, from `origin` (the request's `Origin`, if any). An
   * active session carries `last_active_token`, the session token Clerk's SDKs read claims from
   * before their first `getToken()`: for the requesting origin only, and none for an origin the
   * instance does not allow (a GET needs no allowed origin, and `azp` must not name a stranger).
   */
  async session(s: SessionRow, origin: string | undefined, user?: UserRow) {
    const users = this.d.services.users
    const userJSON = user
      ? await users.toJSON(user, false)
      : users.toFrontendJSON(await users.withEmails(s.user_id))
    const now = this.d.clock.now()
    const status = effectiveStatus(s, now)
    return {
      object: 'session' as const,
      id: s.id,
      status,
      expire_at: s.expire_at,
      abandon_at: s.abandon_at,
      last_active_at: s.last_active_at,
      last_active_token: isLive(status) ? await this.#lastActiveToken(s, origin) : null,
      last_active_organization_id: null,
      actor: null,
      tasks: tasksJSON(s),
      user: userJSON,
      public_user_data: this.publicUserData(userJSON),
      factor_verification_age: factorAges(s, now),
      created_at: s.created_at,
      updated_at: s.updated_at,
    }
  }

  async #lastActiveToken(s: SessionRow, origin: string | undefined) {
    if (origin !== undefined && !(await this.d.services.instance.isAllowedOrigin(origin)))
      return null
    try {
      return {
        object: 'token' as const,
        jwt: await this.d.services.sessionTokens.lastActive(s, origin),
      }
    } catch (error) {
      // Custom claims too large for a token: `POST …/tokens` says so; the client still renders.
      if (error instanceof ApiError && error.code === 'token_too_large') return null
      throw error
    }
  }

  async signIn(row: SignInRow) {
    const found = row.user_id ? await this.d.services.users.findWithEmails(row.user_id) : undefined
    const userJSON = found ? this.d.services.users.toFrontendJSON(found) : undefined
    const [v, second] = await Promise.all([
      this.d.services.verifications.find(row.id, 'first_factor'),
      this.d.services.verifications.find(row.id, 'second_factor'),
    ])
    const now = this.d.clock.now()
    const firstFactor =
      v && (v.status === 'verified' || row.status !== 'complete')
        ? verificationJSON(v, now)
        : row.status === 'complete'
          ? PASSWORD_VERIFIED
          : null
    return {
      object: 'sign_in_attempt' as const,
      id: row.id,
      status: row.status,
      supported_identifiers: ['email_address', 'username'],
      supported_first_factors: found
        ? await supportedFirstFactors(this.d, row, found)
        : await identifierFirstFactors(this.d, row),
      supported_second_factors: found
        ? nullIfEmpty(
            await supportedSecondFactors(this.d, found, row.identifier, v?.strategy ?? null),
          )
        : null,
      first_factor_verification: firstFactor,
      second_factor_verification: second ? verificationJSON(second, now) : null,
      identifier: row.identifier,
      user_data: userJSON ? this.signInUserData(userJSON) : null,
      created_session_id: row.created_session_id,
      abandon_at: row.abandon_at,
    }
  }

  async signUp(row: SignUpRow) {
    const pending = row.status === 'missing_requirements'
    const [v, external] = await Promise.all([
      this.d.services.verifications.find(row.id, 'email_address'),
      // A sign-up that started at a provider keeps its proof where a sign-in does (issue #18).
      this.d.services.verifications.find(row.id, 'first_factor'),
    ])
    const now = this.d.clock.now()
    const redirected =
      external?.strategy.startsWith('oauth_') ||
      external?.strategy === 'enterprise_sso' ||
      external?.strategy === 'saml'
    const oauth = redirected ? external : undefined
    // Before the callback only the provider is missing; after one that gave no address, that.
    const waiting = pending && oauth !== undefined && oauth.status !== 'verified'
    const missing =
      pending &&
      !row.email_address &&
      (oauth?.status === 'verified' ||
        (!v && (await this.d.services.externalAccounts.answeredFlowOf(row.id)) !== undefined))
    const email =
      (v || pending) && !waiting && !missing
        ? signUpEmailVerificationJSON(v, await signUpStrategies(this.d), now)
        : null
    return {
      object: 'sign_up_attempt' as const,
      id: row.id,
      status: row.status,
      required_fields: ['email_address', 'password'],
      optional_fields: ['first_name', 'last_name', 'username'],
      missing_fields: missing ? ['email_address'] : ([] as string[]),
      unverified_fields: waiting
        ? ['external_account']
        : pending && !missing
          ? ['email_address']
          : [],
      verifications: {
        email_address: email,
        phone_number: null,
        web3_wallet: null,
        external_account: oauth ? verificationJSON(oauth, now) : null,
      },
      username: row.username,
      email_address: row.email_address,
      phone_number: null,
      web3_wallet: null,
      password_enabled: true,
      first_name: row.first_name,
      last_name: row.last_name,
      unsafe_metadata: fromDbJson(row.unsafe_metadata),
      public_metadata: {},
      custom_action: false,
      external_id: null,
      created_session_id: row.created_session_id,
      created_user_id: row.created_user_id,
      abandon_at: row.abandon_at,
      legal_accepted_at: null,
    }
  }

  /**
   * The whole client: its active sessions and any sign-in or sign-up in progress, as seen from
   * `origin` (see {@link session}).
   */
  async client(c: ClientRow, origin: string | undefined) {
    const sessions = await this.d.services.sessions.activeOfClient(c.id)
    const now = this.d.clock.now()
    const usable = sessions.filter((s) => isLive(effectiveStatus(s, now)))
    const signIn = c.sign_in_id ? await this.d.services.signIns.find(c.sign_in_id) : undefined
    const signUp = c.sign_up_id ? await this.d.services.signUps.find(c.sign_up_id) : undefined
    return {
      object: 'client' as const,
      id: c.id,
      sessions: await Promise.all(usable.map((s) => this.session(s, origin))),
      sign_in: signIn ? await this.signIn(signIn) : null,
      sign_up: signUp ? await this.signUp(signUp) : null,
      last_active_session_id: usable.some((s) => s.id === c.last_active_session_id)
        ? c.last_active_session_id
        : (usable.at(-1)?.id ?? null),
      last_authentication_strategy: null,
      cookie_expires_at: null,
      captcha_bypass: false,
      created_at: c.created_at,
      updated_at: c.updated_at,
    }
  }
}
