import type { TestSmtpServer } from '../../../packages/server/test/helpers/smtp.js'
import type { TestServer } from '../../../packages/server/test/helpers/test-server.js'

/** The operator's switch for sign-in and sign-up email factors (Backend API, issue #16). */
export async function setFirstFactors(
  server: TestServer,
  factors: { email_code?: boolean; email_link?: boolean; password?: boolean },
): Promise<void> {
  const res = await fetch(`${server.url}/v1/instance/user_settings`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ first_factors: factors }),
  })
  if (res.status !== 200) throw new Error(`user_settings: ${res.status} ${await res.text()}`)
}

/** The next mail to `to` after the `at`-th message, with a bound that names the step. */
export async function nextMail(smtp: TestSmtpServer, to: string, at: number, what: string) {
  try {
    return await smtp.waitForMail(to, { after: at, timeoutMs: 20_000 })
  } catch (error) {
    throw new Error(`no ${what} mail to ${to}: ${String(error)}`)
  }
}

/** Each of a user's addresses and its verification status (Backend API). */
export async function emailStatuses(server: TestServer, userId: string) {
  const res = await fetch(`${server.url}/v1/users/${userId}`, {
    headers: { authorization: `Bearer ${server.secretKey}` },
  })
  const user = (await res.json()) as {
    email_addresses: { email_address: string; verification: { status: string } | null }[]
  }
  return user.email_addresses.map((e) => [e.email_address, e.verification?.status ?? null])
}
