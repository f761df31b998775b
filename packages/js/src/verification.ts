// Clerk's verification objects and its email link flow, shared by sign-ups, sign-ins and a
// user's email addresses.

/** A verification on the wire (fapi spec `Stubs.Verification.*`), the fields the SDK reads. */
export type VerificationJSON = {
  status: string
  strategy: string | null
  attempts: number | null
  expire_at: number | null
  next_action?: string
  supported_strategies?: string[]
  /** A passkey's WebAuthn options (JSON) while it waits for the authenticator's answer. */
  nonce?: string | null
  /** `oauth_*`: where the browser goes to prove the account (the provider's authorize URL). */
  external_verification_redirect_url?: string | null
  /** Why a verification failed or was transferred (Clerk's `error`), when it says. */
  error?: { code?: string; long_message?: string; message?: string } | null
}

/** Clerk's `VerificationResource`: where a code or link stands. */
export class VerificationResource {
  /** `unverified`, `verified`, `failed` or `expired`; `null` before anything was asked. */
  readonly status: string | null
  readonly strategy: string | null
  readonly attempts: number | null
  readonly expireAt: Date | null
  /** On a sign-up: `needs_prepare`, `needs_attempt`, or `''` once proved. */
  readonly nextAction: string
  readonly supportedStrategies: string[]
  /** For `passkey`: the WebAuthn options as JSON, until answered. */
  readonly nonce: string | null
  /** `oauth_*`: the provider's authorize URL, while the verification waits for the callback. */
  readonly externalVerificationRedirectURL: URL | null
  /** The error the server recorded on it, e.g. why an `oauth_*` verification failed. */
  readonly error: { code: string; longMessage: string } | null

  constructor(json: VerificationJSON | null | undefined) {
    this.status = json?.status ?? null
    this.strategy = json?.strategy ?? null
    this.attempts = json?.attempts ?? null
    this.expireAt = json?.expire_at == null ? null : new Date(json.expire_at)
    this.nextAction = json?.next_action ?? ''
    this.supportedStrategies = json?.supported_strategies ?? []
    this.nonce = json?.nonce ?? null
    const redirect = json?.external_verification_redirect_url
    this.externalVerificationRedirectURL = redirect ? new URL(redirect) : null
    this.error = json?.error
      ? {
          code: json.error.code ?? '',
          longMessage: json.error.long_message ?? json.error.message ?? '',
        }
      : null
  }

  /** Whether this verification has reached an end a link's waiting tab must act on. */
  get settled(): boolean {
    return this.status === 'verified' || this.status === 'expired' || this.status === 'failed'
  }
}

/** How often a tab waiting on an email link asks whether it was opened. */
export const EMAIL_LINK_POLL_MS = 1_000

/** Clerk's `createEmailLinkFlow()` return: start (send the link and wait), and cancel. */
export type EmailLinkFlow<T, P> = {
  /** Sends the link, then resolves once it was opened (or expired), polling the resource. */
  startEmailLinkFlow(params: P): Promise<T>
  /** Stops polling; a pending `startEmailLinkFlow` resolves with the last state it saw. */
  cancelEmailLinkFlow(): void
}

/**
 * The email link flow: `prepare` sends the link, then `reload` runs every
 * {@link EMAIL_LINK_POLL_MS} until `done` holds, the flow is cancelled, or a call fails with an
 * API error (a network blip is retried at the next tick).
 */
export function emailLinkFlow<T, P>(steps: {
  prepare(params: P): Promise<T>
  reload(): Promise<T>
  done(resource: T): boolean
}): EmailLinkFlow<T, P> {
  let stop: (() => void) | undefined
  return {
    startEmailLinkFlow: async (params) => {
      stop?.()
      let last = await steps.prepare(params)
      if (steps.done(last)) return last
      return new Promise<T>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined
        let over = false
        const end = () => {
          over = true
          clearTimeout(timer)
          stop = undefined
        }
        stop = () => {
          end()
          resolve(last)
        }
        const tick = async () => {
          try {
            last = await steps.reload()
          } catch (err) {
            if (!(err instanceof TypeError)) {
              end()
              return reject(err)
            }
          }
          if (over) return
          if (steps.done(last)) {
            end()
            return resolve(last)
          }
          timer = setTimeout(tick, EMAIL_LINK_POLL_MS)
        }
        timer = setTimeout(tick, EMAIL_LINK_POLL_MS)
      })
    },
    cancelEmailLinkFlow: () => stop?.(),
  }
}

/**
 * Sends the browser to `url` (a provider's authorize URL). Typed without the DOM library, as
 * the resources are also compiled for servers, where there is no page to leave.
 */
export function goTo(url: string): void {
  const loc = (globalThis as { location?: { assign(u: string): void } }).location
  if (!loc) throw new Error('A redirect flow needs a browser page.')
  loc.assign(url)
}
