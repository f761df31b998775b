import { fetchJson } from './browser-client.js'
import type { TestServer } from './test-server.js'

/** A Backend API call with the server's secret key (or `token`, e.g. an `lk_op_…` credential). */
export function bapi(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  token: string = server.secretKey,
) {
  return fetchJson(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

/** A new user with a password; made an operator through the Backend API unless `operator: false`. */
export async function makeUser(
  server: TestServer,
  email: string,
  password: string,
  opts: { operator?: boolean } = {},
): Promise<string> {
  const user = await bapi(server, 'POST', '/v1/users', {
    email_address: [email],
    password,
    first_name: 'Olive',
    last_name: 'Operator',
  })
  if (user.status !== 200) throw new Error(`user: ${user.status} ${JSON.stringify(user.json)}`)
  const id: string = user.json.id
  if (opts.operator !== false) {
    const made = await bapi(server, 'POST', '/v1/operators', { user_id: id })
    if (made.status !== 200) throw new Error(`operator: ${made.status}`)
  }
  return id
}

/** `POST /v1/operator_sessions` as the dashboard sends it (JSON, no credential). */
export function operatorSignIn(
  server: TestServer,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return fetchJson(`${server.url}/v1/operator_sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** Signs an operator in and returns the `lk_op_…` token (throws unless it succeeds). */
export async function operatorToken(
  server: TestServer,
  identifier: string,
  password: string,
): Promise<string> {
  const r = await operatorSignIn(server, { identifier, password })
  if (r.status !== 200) throw new Error(`sign-in: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json.token
}
