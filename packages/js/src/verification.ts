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

  constructor(json: VerificationJSON | null | undefined) {
    this.status = json?.status ?? null
    this.strategy = json?.strategy ?? null
    this.attempts = json?.attempts ?? null
    this.expireAt = json?.expire_at == null ? null : new Date(json.expire_at)
    this.nextAction = json?.next_action ?? ''
    this.supportedStrategies = json?.supported_strategies ?? []
    this.nonce = json?.nonce ?? null
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
