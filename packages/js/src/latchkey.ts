import { decodePublishableKey } from '@latchkey/contracts/publishable-key'
import { FapiClient } from './fapi.js'
import {
  type ClientJSON,
  ClientResource,
  type GetTokenOptions,
  type ResourceContext,
  type SessionResource,
  type UserResource,
} from './resources.js'
import { finishRedirectFlow, type RedirectOutcome } from './sso-callback.js'
import { jwtClaims, TokenCache } from './token-cache.js'
import type { Appearance } from './ui/theme.js'

/** The instance's settings the browser needs (`GET /v1/environment`, `display_config`). */
export type DisplayConfig = {
  application_name: string
  home_url: string
  sign_in_url: string
  sign_up_url: string
  user_profile_url: string
  after_sign_in_url: string
  after_sign_up_url: string
  after_sign_out_one_url: string
  after_sign_out_all_url: string
}
/** One of Clerk's `user_settings.attributes`, the fields the prebuilt UI reads. */
export type UserAttributeJSON = {
  enabled: boolean
  first_factors?: string[]
  verifications?: string[]
  verify_at_sign_up?: boolean
}
export type EnvironmentJSON = {
  id: string
  display_config: DisplayConfig
  /** `first_factors` also names the reset flow (`reset_password_email_code`). */
  auth_config?: { first_factors?: string[]; reverification?: boolean }
  user_settings: {
    password_settings: { min_length: number; max_length: number }
    attributes?: {
      email_address?: UserAttributeJSON
      password?: UserAttributeJSON
      passkey?: UserAttributeJSON
    }
    sign_up?: { mode?: string }
    /** The enabled social connections, by strategy (`oauth_google`): Clerk's `social`. */
    social?: Record<string, { enabled: boolean; strategy: string; name?: string }>
    /** Whether an enterprise connection is active: a sign-in may go to the domain's IdP. */
    enterprise_sso?: { enabled: boolean }
  }
}

export type LatchkeyOptions = {
  /** The Frontend API's URL; decoded from the publishable key when left out. */
  frontendApi?: string
  signInUrl?: string
  signUpUrl?: string
  afterSignInUrl?: string
  afterSignUpUrl?: string
  afterSignOutUrl?: string
  /** Colours, radius and font of the prebuilt UI (CSS variables). */
  appearance?: Appearance
  /** For tests and non-browser hosts. */
  fetch?: typeof fetch
}

/** What listeners receive whenever who is signed in changes. */
export type Resources = {
  client: ClientResource
  session: SessionResource | null
  user: UserResource | null
}
export type Listener = (resources: Resources) => void

export type SignInProps = {
  /** Where to go after signing in; without it an embedded form stays on the page. */
  redirectUrl?: string
  forceRedirectUrl?: string
  signUpUrl?: string
  appearance?: Appearance
  /** Pre-fills the email field. */
  initialValues?: { emailAddress?: string }
}
export type SignUpProps = {
  redirectUrl?: string
  forceRedirectUrl?: string
  signInUrl?: string
  appearance?: Appearance
}
export type UserButtonProps = { afterSignOutUrl?: string; appearance?: Appearance }
export type UserProfileProps = { afterSignOutUrl?: string; appearance?: Appearance }

/** The Frontend API URL a publishable key names: http for loopback hosts, https otherwise. */
export function frontendApiFromKey(publishableKey: string): string {
  const host = decodePublishableKey(publishableKey)
  if (!host) throw new Error('Latchkey: the publishable key is not valid.')
  const loopback = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host)
  return `${loopback ? 'http' : 'https'}://${host}`
}

/** The marker `ui/social.ts` puts on the return URL (`modal`: the flow began in a modal). */
const SSO_MODAL_PARAM = 'latchkey_sso_callback'

const isBrowser = () => typeof window !== 'undefined' && typeof document !== 'undefined'
const DEFAULT_TOKEN = ''
const SESSION_COOKIE = '__session'
/** Another tab is asked again for the client at most this often when this one becomes visible. */
const FOCUS_RELOAD_MS = 5_000

/**
 * Latchkey in the browser, with `clerk-js`'s surface: `load()`, `user`, `session`, `client`,
 * `session.getToken()`, `addListener`, `signOut()`, and the prebuilt UI (`openSignIn`,
 * `mountSignIn`, `mountUserButton`, …).
 *
 * @example
 * ```ts
 * const latchkey = new Latchkey('pk_live_…')
 * await latchkey.load()
 * if (!latchkey.user) latchkey.openSignIn()
 * const token = await latchkey.session?.getToken()
 * ```
 */
export class Latchkey {
  readonly publishableKey: string
  readonly frontendApi: string
  readonly version = '0.1.0'
  options: LatchkeyOptions
  loaded = false
  client: ClientResource | undefined
  environment: EnvironmentJSON | undefined

  readonly #fapi: FapiClient
  readonly #tokens: TokenCache
  readonly #listeners = new Set<Listener>()
  readonly #ctx: ResourceContext
  #loading: Promise<void> | undefined
  #channel: BroadcastChannel | undefined
  #lastKey = ''
  #lastFocusReload = 0
  #ui: typeof import('./ui/index.js') | undefined
  /** The active session's latest default token, for `sessionClaims`. */
  #sessionToken: { sessionId: string; token: string } | undefined

  constructor(publishableKey: string, options: LatchkeyOptions = {}) {
    this.publishableKey = publishableKey
    this.options = options
    this.frontendApi = (options.frontendApi ?? frontendApiFromKey(publishableKey)).replace(
      /\/$/,
      '',
    )
    this.#fapi = new FapiClient({
      baseUrl: this.frontendApi,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onClient: (json) => this.#setClient(json),
      onUnauthorized: () => {
        void this.#reloadClient()
      },
    })
    this.#ctx = {
      fapi: this.#fapi,
      getToken: (sessionId, opts) => this.#getToken(sessionId, opts),
      changed: () => this.#broadcast(),
    }
    this.#tokens = new TokenCache((key) => this.#fetchToken(key), {
      keepFresh: (key) => key === this.#tokenKey(this.session?.id ?? '', DEFAULT_TOKEN),
      onRefresh: (key, token) => {
        const sessionId = this.session?.id
        if (sessionId && key === this.#tokenKey(sessionId, DEFAULT_TOKEN))
          this.#sessionTokenChanged(sessionId, token)
      },
    })
    this.client = new ClientResource(null, this.#ctx)
  }

  /** Fetches the instance's environment and this browser's client; safe to call twice. */
  load(options?: LatchkeyOptions): Promise<void> {
    if (options) this.options = { ...this.options, ...options }
    this.#loading ??= this.#load()
    return this.#loading
  }

  async #load(): Promise<void> {
    const [env] = await Promise.all([
      this.#fapi.bare<EnvironmentJSON>({ method: 'GET', path: '/v1/environment' }),
      this.#fapi.request<ClientJSON | null>({ method: 'GET', path: '/v1/client' }),
    ])
    this.environment = env
    this.loaded = true
    if (isBrowser()) this.#listenAcrossTabs()
    this.#emit(true)
    if (this.session) void this.session.getToken().catch(() => {})
    // A provider's return to a page whose sign-in or sign-up was a modal: it opens again there
    // and finishes the flow (ui/social.ts); a mounted component finishes it where it is.
    const sso = isBrowser() ? new URL(window.location.href).searchParams.get(SSO_MODAL_PARAM) : null
    if (sso === 'modal' && Latchkey.ui) this.openSignIn()
  }

  /** The active session of this browser, or `null` when signed out. */
  get session(): SessionResource | null {
    const c = this.client
    if (!c) return null
    return (
      c.activeSessions.find((s) => s.id === c.lastActiveSessionId) ?? c.activeSessions[0] ?? null
    )
  }

  get user(): UserResource | null {
    return this.session?.user ?? null
  }

  get isSignedIn(): boolean {
    return this.user !== null
  }

  /** Calls `listener` now (once loaded) and whenever the client, session or user changes. */
  addListener(listener: Listener): () => void {
    this.#listeners.add(listener)
    if (this.loaded) listener(this.#resources())
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Signs out: every session of this browser, or only `sessionId`'s. Other tabs follow.
   * Navigates to `redirectUrl` when given.
   */
  async signOut(options: { sessionId?: string; redirectUrl?: string } = {}): Promise<void> {
    if (options.sessionId) {
      await this.#fapi.request({
        method: 'POST',
        path: `/v1/client/sessions/${encodeURIComponent(options.sessionId)}/remove`,
      })
    } else if (this.client?.id) {
      await this.#fapi.request({ method: 'DELETE', path: '/v1/client/sessions' })
    }
    this.#tokens.clear()
    this.#broadcast()
    if (options.redirectUrl && isBrowser()) window.location.assign(options.redirectUrl)
  }

  /** Makes `session` this browser's active session. */
  async setActive(params: {
    session: string | SessionResource | null
    redirectUrl?: string
  }): Promise<void> {
    const id = typeof params.session === 'string' ? params.session : params.session?.id
    if (id) {
      await this.#fapi.request({
        method: 'POST',
        path: `/v1/client/sessions/${encodeURIComponent(id)}/touch`,
      })
      await this.#getToken(id).catch(() => null)
    }
    this.#broadcast()
    if (params.redirectUrl && isBrowser()) window.location.assign(params.redirectUrl)
  }

  /**
   * The page a provider's redirect returns to (Clerk's `handleRedirectCallback`): reads the
   * client as the callback left it and finishes the flow — the session becomes active (then
   * `redirectUrl`), a new account transfers from sign-in to sign-up and an existing one from
   * sign-up to sign-in. A second factor or missing fields are returned (or sent to
   * `secondFactorUrl` / `continueSignUpUrl`) for the app to ask; the prebuilt UI does both.
   *
   * @example
   * // on /sso-callback
   * const outcome = await latchkey.handleRedirectCallback({ redirectUrl: '/' })
   * if (outcome.status === 'failed') showError(outcome.message)
   */
  async handleRedirectCallback(
    params: { redirectUrl?: string; secondFactorUrl?: string; continueSignUpUrl?: string } = {},
  ): Promise<RedirectOutcome> {
    await this.load()
    await this.#fapi.request<ClientJSON | null>({ method: 'GET', path: '/v1/client' })
    if (!this.client) return { status: 'none' }
    const outcome = await finishRedirectFlow(this.client)
    if (outcome.status === 'complete')
      await this.setActive({
        session: outcome.sessionId,
        ...(params.redirectUrl ? { redirectUrl: params.redirectUrl } : {}),
      })
    const next =
      outcome.status === 'needs_second_factor'
        ? params.secondFactorUrl
        : outcome.status === 'missing_requirements'
          ? params.continueSignUpUrl
          : undefined
    if (next && isBrowser()) window.location.assign(next)
    return outcome
  }

  // Navigation

  buildSignInUrl(options: { redirectUrl?: string } = {}): string {
    return this.#withRedirect(
      this.options.signInUrl ??
        this.environment?.display_config.sign_in_url ??
        `${this.frontendApi}/sign-in`,
      options.redirectUrl,
    )
  }

  buildSignUpUrl(options: { redirectUrl?: string } = {}): string {
    return this.#withRedirect(
      this.options.signUpUrl ??
        this.environment?.display_config.sign_up_url ??
        `${this.frontendApi}/sign-up`,
      options.redirectUrl,
    )
  }

  buildUserProfileUrl(): string {
    return this.environment?.display_config.user_profile_url ?? `${this.frontendApi}/user`
  }

  redirectToSignIn(options: { redirectUrl?: string; signInForceRedirectUrl?: string } = {}): void {
    const target = options.signInForceRedirectUrl ?? options.redirectUrl
    window.location.assign(this.buildSignInUrl({ redirectUrl: target ?? window.location.href }))
  }

  redirectToSignUp(options: { redirectUrl?: string } = {}): void {
    window.location.assign(
      this.buildSignUpUrl({ redirectUrl: options.redirectUrl ?? window.location.href }),
    )
  }

  redirectToUserProfile(): void {
    window.location.assign(this.buildUserProfileUrl())
  }

  #withRedirect(base: string, redirectUrl: string | undefined): string {
    if (!redirectUrl) return base
    const url = new URL(base, isBrowser() ? window.location.href : this.frontendApi)
    url.searchParams.set('redirect_url', redirectUrl)
    return url.toString()
  }

  // Prebuilt UI: the components live in ./ui and share this instance.

  openSignIn(props: SignInProps = {}): void {
    this.#uiModule().openModal(this, 'sign-in', props)
  }
  closeSignIn(): void {
    this.#uiModule().closeModal(this, 'sign-in')
  }
  openSignUp(props: SignUpProps = {}): void {
    this.#uiModule().openModal(this, 'sign-up', props)
  }
  closeSignUp(): void {
    this.#uiModule().closeModal(this, 'sign-up')
  }
  openUserProfile(props: UserProfileProps = {}): void {
    this.#uiModule().openModal(this, 'user-profile', props)
  }
  closeUserProfile(): void {
    this.#uiModule().closeModal(this, 'user-profile')
  }
  mountSignIn(el: HTMLElement, props: SignInProps = {}): void {
    this.#uiModule().mount(this, el, 'sign-in', props)
  }
  mountSignUp(el: HTMLElement, props: SignUpProps = {}): void {
    this.#uiModule().mount(this, el, 'sign-up', props)
  }
  mountUserButton(el: HTMLElement, props: UserButtonProps = {}): void {
    this.#uiModule().mount(this, el, 'user-button', props)
  }
  mountUserProfile(el: HTMLElement, props: UserProfileProps = {}): void {
    this.#uiModule().mount(this, el, 'user-profile', props)
  }
  unmountSignIn(el: HTMLElement): void {
    this.#uiModule().unmount(el)
  }
  unmountSignUp(el: HTMLElement): void {
    this.#uiModule().unmount(el)
  }
  unmountUserButton(el: HTMLElement): void {
    this.#uiModule().unmount(el)
  }
  unmountUserProfile(el: HTMLElement): void {
    this.#uiModule().unmount(el)
  }

  /** Registered by `./ui` when it loads, so the core stays usable without a DOM. */
  static ui: typeof import('./ui/index.js') | undefined

  #uiModule(): typeof import('./ui/index.js') {
    this.#ui ??= Latchkey.ui
    if (!this.#ui)
      throw new Error('Latchkey: the prebuilt UI is not loaded (import "@latchkey/js").')
    return this.#ui
  }

  // Tokens

  #tokenKey(sessionId: string, template: string): string {
    return `${sessionId}\u0000${template}`
  }

  async #getToken(sessionId: string, opts: GetTokenOptions = {}): Promise<string | null> {
    if (!this.client?.activeSessions.some((s) => s.id === sessionId)) return null
    const key = this.#tokenKey(sessionId, opts.template ?? DEFAULT_TOKEN)
    const token = await this.#tokens.get(key, { skipCache: opts.skipCache ?? false })
    if (token && !opts.template && sessionId === this.session?.id)
      this.#sessionTokenChanged(sessionId, token)
    return token
  }

  /**
   * The claims of the active session's current token (Clerk's `sessionClaims`): `null` until
   * the first token of a session arrives, which listeners hear about.
   */
  get sessionClaims(): Record<string, unknown> | null {
    const t = this.#sessionToken
    if (!t || t.sessionId !== this.session?.id) return null
    return jwtClaims(t.token) ?? null
  }

  #sessionTokenChanged(sessionId: string, token: string): void {
    const first = this.#sessionToken?.sessionId !== sessionId
    this.#sessionToken = { sessionId, token }
    this.#writeCookie(token)
    if (first && this.loaded) this.#emit(true)
  }

  async #fetchToken(key: string): Promise<string | null> {
    const [sessionId = '', template = ''] = key.split('\u0000')
    const path = `/v1/client/sessions/${encodeURIComponent(sessionId)}/tokens${
      template ? `/${encodeURIComponent(template)}` : ''
    }`
    try {
      const res = await this.#fapi.bare<{ jwt?: string }>({ method: 'POST', path })
      return res.jwt ?? null
    } catch (err) {
      if ((err as { status?: number }).status === 401) return null
      throw err
    }
  }

  /** The session token, readable by the app's own backend on the app's origin (Clerk's cookie). */
  #writeCookie(token: string | null): void {
    if (!isBrowser()) return
    const secure = window.location.protocol === 'https:' ? '; Secure' : ''
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser yet
    document.cookie = token
      ? `${SESSION_COOKIE}=${token}; path=/; SameSite=Lax${secure}`
      : `${SESSION_COOKIE}=; path=/; max-age=0; SameSite=Lax${secure}`
  }

  // State

  #resources(): Resources {
    return { client: this.client as ClientResource, session: this.session, user: this.user }
  }

  #setClient(json: ClientJSON | null): void {
    const before = this.session?.id
    this.client = new ClientResource(json, this.#ctx)
    const after = this.session?.id
    if (before !== after) {
      this.#tokens.clear()
      this.#sessionToken = undefined
      if (!after) this.#writeCookie(null)
    }
    if (this.loaded) this.#emit(false)
  }

  #emit(force: boolean): void {
    const s = this.session
    const key = [
      this.client?.id,
      s?.id,
      s?.user.updatedAt?.getTime(),
      // Adding, proving or choosing an address may leave `updated_at` as it was.
      s?.user.primaryEmailAddressId,
      s?.user.totpEnabled,
      s?.user.backupCodeEnabled,
      s?.user.emailAddresses.map((e) => `${e.id}:${e.verification.status}`).join(','),
      this.client?.activeSessions.map((x) => x.id).join(','),
    ].join('|')
    if (!force && key === this.#lastKey) return
    this.#lastKey = key
    const resources = this.#resources()
    for (const l of [...this.#listeners]) l(resources)
  }

  #reloadClient(): Promise<void> {
    return this.#fapi.request<ClientJSON | null>({ method: 'GET', path: '/v1/client' }).then(
      () => undefined,
      () => undefined,
    )
  }

  /** Tabs of one browser share the client cookie: a change in one makes the others ask again. */
  #listenAcrossTabs(): void {
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(`latchkey:${this.frontendApi}`)
      this.#channel.onmessage = () => {
        void this.#reloadClient()
      }
    }
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return
      const now = Date.now()
      if (now - this.#lastFocusReload < FOCUS_RELOAD_MS) return
      this.#lastFocusReload = now
      void this.#reloadClient()
    })
  }

  #broadcast(): void {
    this.#channel?.postMessage({ type: 'client-changed' })
  }
}
