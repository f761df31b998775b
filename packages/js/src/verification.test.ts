import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LatchkeyAPIResponseError } from './fapi.js'
import { EMAIL_LINK_POLL_MS, emailLinkFlow, VerificationResource } from './verification.js'

type State = { status: string }

/** A resource whose server state the test moves: `reload` reads `states` one by one. */
function flowOver(states: (State | Error)[]) {
  const calls = { prepare: 0, reload: 0 }
  const flow = emailLinkFlow<State, { redirectUrl: string }>({
    prepare: async () => {
      calls.prepare++
      return { status: 'missing_requirements' }
    },
    reload: async () => {
      const next = states[Math.min(calls.reload++, states.length - 1)]
      if (next instanceof Error) throw next
      return next as State
    },
    done: (s) => s.status === 'complete',
  })
  return { flow, calls }
}

describe('the email link flow', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('sends the link once, then polls until the resource says it is done', async () => {
    const { flow, calls } = flowOver([
      { status: 'missing_requirements' },
      { status: 'missing_requirements' },
      { status: 'complete' },
    ])
    const done = flow.startEmailLinkFlow({ redirectUrl: 'https://app.example/' })
    await vi.advanceTimersByTimeAsync(EMAIL_LINK_POLL_MS * 3)
    expect(await done).toEqual({ status: 'complete' })
    expect(calls).toEqual({ prepare: 1, reload: 3 })
    await vi.advanceTimersByTimeAsync(EMAIL_LINK_POLL_MS * 5)
    expect(calls.reload).toBe(3)
  })

  it('cancel stops polling and resolves with the last state seen', async () => {
    const { flow, calls } = flowOver([{ status: 'missing_requirements' }])
    const done = flow.startEmailLinkFlow({ redirectUrl: 'https://app.example/' })
    await vi.advanceTimersByTimeAsync(EMAIL_LINK_POLL_MS * 2)
    flow.cancelEmailLinkFlow()
    expect(await done).toEqual({ status: 'missing_requirements' })
    const polled = calls.reload
    await vi.advanceTimersByTimeAsync(EMAIL_LINK_POLL_MS * 5)
    expect(calls.reload).toBe(polled)
  })

  it('retries a network failure at the next tick, but stops at an API error', async () => {
    const apiError = new LatchkeyAPIResponseError(404, [
      { code: 'resource_not_found', message: 'gone', longMessage: 'gone', meta: {} },
    ])
    const { flow } = flowOver([
      new TypeError('offline'),
      { status: 'missing_requirements' },
      apiError,
    ])
    const done = flow.startEmailLinkFlow({ redirectUrl: 'https://app.example/' })
    const outcome = done.then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await vi.advanceTimersByTimeAsync(EMAIL_LINK_POLL_MS * 4)
    expect(await outcome).toBe(apiError)
  })

  it('reads a verification: settled once verified, expired or failed', () => {
    expect(new VerificationResource(null).status).toBeNull()
    const json = {
      status: 'unverified',
      strategy: 'email_link',
      attempts: 0,
      expire_at: 1_000,
      next_action: 'needs_attempt',
      supported_strategies: ['email_code', 'email_link'],
    }
    const v = new VerificationResource(json)
    expect(v.settled).toBe(false)
    expect(v.expireAt?.getTime()).toBe(1_000)
    for (const status of ['verified', 'expired', 'failed'])
      expect(new VerificationResource({ ...json, status }).settled).toBe(true)
  })
})
