import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import type { TestServer } from '../../../packages/server/test/helpers/test-server.js'

/** Verifies a token against the server's JWKS (as Nylas, Convex and InstantDB do), with jose. */
export async function verifyWithJwks(
  server: TestServer,
  token: string,
  opts: { audience?: string; issuer?: string } = {},
): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
  const { payload } = await jwtVerify(token, jwks, {
    issuer: opts.issuer ?? server.url,
    algorithms: ['RS256'],
    ...(opts.audience ? { audience: opts.audience } : {}),
  })
  return payload
}

/** The Backend API's user id for an email address (what the app's backend would look up). */
export async function userIdByEmail(server: TestServer, email: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/users?email_address=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${server.secretKey}` },
  })
  const users = (await res.json()) as { id: string }[]
  if (users.length !== 1 || !users[0]) throw new Error(`expected one user for ${email}`)
  return users[0].id
}

/** Creates a user through the Backend API (for sign-in flows). */
export async function createUser(
  server: TestServer,
  user: { email: string; password: string; firstName?: string },
): Promise<string> {
  const res = await fetch(`${server.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      email_address: [user.email],
      password: user.password,
      ...(user.firstName ? { first_name: user.firstName } : {}),
    }),
  })
  if (res.status !== 200)
    throw new Error(`creating ${user.email}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { id: string }).id
}

/** Clerk's `convex` JWT template preset, created once per server. */
export async function createConvexTemplate(server: TestServer): Promise<void> {
  const res = await fetch(`${server.url}/v1/jwt_templates/presets/convex`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.secretKey}` },
  })
  if (res.status !== 200) throw new Error(`convex template: ${res.status} ${await res.text()}`)
}
