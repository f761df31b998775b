import { createServer, type Server } from 'node:http'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import { WebSocketServer } from 'ws'

/** A little-endian u64 as Convex's protocol encodes timestamps: base64 of 8 bytes. */
const u64 = (n: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b.toString('base64')
}

/** One entry of a Convex deployment's `auth.config.ts` `providers`. */
export type ConvexAuthProvider = { domain: string; applicationID: string }

export type FakeConvex = {
  url: string
  /** The identity tokens the client authenticated with, in order. */
  tokens: string[]
  /** With `auth`: the claims of each token the deployment accepted, in order. */
  identities: JWTPayload[]
  /** With `auth`: why each refused token was refused, in order. */
  rejections: string[]
  /** Its `auth.config.ts` provider, read at each `Authenticate` (a test may reconfigure it). */
  auth: ConvexAuthProvider | undefined
  close(): Promise<void>
}

/** The discovery fields Convex requires of an OIDC provider before it fetches the JWKS. */
const REQUIRED_DISCOVERY = [
  'issuer',
  'authorization_endpoint',
  'jwks_uri',
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
] as const

const trimSlash = (s: string) => s.replace(/\/+$/, '')

/**
 * Checks a token the way a Convex deployment checks one against an OIDC provider of its
 * `auth.config.ts` (DESIGN.md §1): discovery at `{domain}/.well-known/openid-configuration` with
 * its required fields and an `issuer` equal to the domain (trailing slash ignored), then the
 * signature against `jwks_uri`, `iss`, a single `aud` equal to `applicationID`, `exp`, a header
 * with `kid`, `alg` and `typ`, and claims of the types Convex's `UserIdentity` has.
 */
async function verifyAsConvex(token: string, provider: ConvexAuthProvider): Promise<JWTPayload> {
  const domain = trimSlash(provider.domain)
  const res = await fetch(`${domain}/.well-known/openid-configuration`)
  if (!res.ok) throw new Error(`discovery answered ${res.status}`)
  const discovery = (await res.json()) as Record<string, unknown>
  for (const field of REQUIRED_DISCOVERY) {
    if (discovery[field] === undefined) throw new Error(`discovery lacks ${field}`)
  }
  if (trimSlash(String(discovery.issuer)) !== domain) throw new Error('issuer is not the domain')
  const jwks = createRemoteJWKSet(new URL(String(discovery.jwks_uri)))
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: [domain, `${domain}/`],
    audience: provider.applicationID,
    algorithms: ['RS256', 'ES256'],
    requiredClaims: ['exp', 'iat', 'sub'],
  })
  if (!protectedHeader.kid || !protectedHeader.typ) throw new Error('header lacks kid or typ')
  if (Array.isArray(payload.aud) && payload.aud.length !== 1) throw new Error('several audiences')
  for (const claim of ['email_verified', 'phone_number_verified']) {
    const v = payload[claim]
    if (v !== undefined && typeof v !== 'boolean') throw new Error(`${claim} is not a boolean`)
  }
  return payload
}

/**
 * The smallest Convex deployment that confirms authentication: it accepts the sync WebSocket,
 * records each `Authenticate` token, and answers it with the `Transition` that moves the
 * identity version forward — which is what makes Convex's client refetch its token with
 * `forceRefreshToken: true`. Without `auth` it does not verify the token (the test does, with
 * our JWKS); with `auth` (its `auth.config.ts` provider) it verifies each token as Convex does and
 * answers a bad one with Convex's `AuthError`, after which Convex's client reports the user
 * unauthenticated. It serves no queries.
 */
export async function startFakeConvex(
  port: number,
  opts: { auth?: ConvexAuthProvider } = {},
): Promise<FakeConvex> {
  const tokens: string[] = []
  const identities: JWTPayload[] = []
  const rejections: string[] = []
  let fake: FakeConvex | undefined
  const http: Server = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (socket) => {
    let identity = 0
    let ts = 0
    // Messages are handled one after another, as the deployment processes them in order.
    let queue = Promise.resolve()
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; value?: string }
      if (message.type !== 'Authenticate') return
      queue = queue.then(async () => {
        if (message.value) tokens.push(message.value)
        const auth = fake?.auth
        if (auth && message.value) {
          try {
            identities.push(await verifyAsConvex(message.value, auth))
          } catch (e) {
            rejections.push((e as Error).message)
            socket.send(
              JSON.stringify({
                type: 'AuthError',
                error: `Could not verify OIDC token claim: ${(e as Error).message}`,
                baseVersion: identity,
                authUpdateAttempted: true,
              }),
            )
            return
          }
        }
        socket.send(
          JSON.stringify({
            type: 'Transition',
            startVersion: { querySet: 0, identity, ts: u64(ts) },
            endVersion: { querySet: 0, identity: identity + 1, ts: u64(ts + 1) },
            modifications: [],
          }),
        )
        identity++
        ts++
      })
    })
  })
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r))
  fake = {
    url: `http://127.0.0.1:${port}`,
    tokens,
    identities,
    rejections,
    auth: opts.auth,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      await new Promise((r) => wss.close(r))
      await new Promise((r) => http.close(r))
    },
  }
  return fake
}
