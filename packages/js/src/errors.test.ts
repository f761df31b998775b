import { ERRORS } from '@latchkey/contracts/errors'
import { describe, expect, it } from 'vitest'
import { describeError, ERROR_MESSAGES, WEBAUTHN_MESSAGES } from './errors.js'
import { LatchkeyAPIResponseError } from './fapi.js'
import { LatchkeyWebAuthnError } from './passkey-resource.js'

const apiError = (
  status: number,
  code: string,
  meta: { paramName?: string; retryAfterSeconds?: number } = {},
  retryAfter?: number,
) =>
  new LatchkeyAPIResponseError(
    status,
    [{ code, message: 'server text', longMessage: 'server long text', meta }],
    retryAfter === undefined ? {} : { retryAfter },
  )

describe('error messages of the prebuilt UI', () => {
  it('has a human message for every code the APIs can send', () => {
    for (const code of Object.keys(ERRORS)) {
      const message = ERROR_MESSAGES[code as keyof typeof ERRORS]
      expect(message, code).toMatch(/^[A-Z].*[.!]$/)
      expect(message, code).not.toContain('_')
    }
  })

  it('says what a passkey ceremony or a refused passkey means, not “too many codes”', () => {
    for (const [code, message] of Object.entries(WEBAUTHN_MESSAGES)) {
      expect(message, code).toMatch(/^[A-Z].*[.!]$/)
      const err = new LatchkeyWebAuthnError('browser text', code as keyof typeof WEBAUTHN_MESSAGES)
      expect(describeError(err)).toEqual({ message, field: undefined })
    }
    const refused = apiError(422, 'verification_failed', { paramName: 'public_key_credential' })
    expect(describeError(refused).message).toMatch(/^This passkey isn’t recognised/)
    expect(describeError(apiError(422, 'verification_failed')).message).toBe(
      ERROR_MESSAGES.verification_failed,
    )
  })

  it('names the wait when rate limited, from Retry-After or the error meta', () => {
    expect(describeError(apiError(429, 'too_many_requests', {}, 7)).message).toBe(
      'Too many attempts. Try again in 7 seconds.',
    )
    expect(
      describeError(apiError(429, 'too_many_requests', { retryAfterSeconds: 1 })).message,
    ).toBe('Too many attempts. Try again in 1 second.')
    expect(describeError(apiError(429, 'too_many_requests')).message).toBe(
      ERROR_MESSAGES.too_many_requests,
    )
  })

  it('points at the field: wrong password, unknown account, weak or breached password', () => {
    expect(describeError(apiError(422, 'form_password_incorrect'))).toEqual({
      message: 'Password is incorrect. Try again.',
      field: 'password',
    })
    expect(describeError(apiError(422, 'form_identifier_not_found')).field).toBe('identifier')
    expect(describeError(apiError(422, 'form_password_pwned')).message).toContain('data breach')
    expect(
      describeError(apiError(422, 'form_password_length_too_short', { paramName: 'new_password' })),
    ).toEqual({
      message: 'Your password must be at least 8 characters long.',
      field: 'new_password',
    })
  })

  it('a lockout says how long; an unknown code falls back to the server’s text; network errors', () => {
    expect(describeError(apiError(403, 'user_locked', { retryAfterSeconds: 600 })).message).toBe(
      'This account is locked after too many failed attempts. Try again in 10 minutes.',
    )
    expect(describeError(apiError(400, 'some_future_code')).message).toBe('server long text')
    expect(describeError(new TypeError('Failed to fetch')).message).toContain('Can’t reach')
    expect(describeError(new Error('boom')).message).toBe('Something went wrong. Please try again.')
  })
})
