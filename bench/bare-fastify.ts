import cluster from 'node:cluster'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { randomBase62 } from '@latchkey/contracts'
import Fastify from 'fastify'
import { apiSecurityHeaders } from '../packages/server/src/http/security-headers.js'
import { CompactSigner } from '../packages/server/src/lib/jws.js'

/*
 * Ceilings and floors on the same framework and worker count as Latchkey:
 * - POST /json: bare Fastify's JSON ceiling, no application work at all;
 * - POST /rs256 and /es256: the floor of a token mint — sign claims of a session token's shape
 *   with the same signer Latchkey uses and answer with the headers Latchkey answers with, and
 *   nothing else (no cookie, no session, no database). No server that mints can beat these on
 *   the same cores and the same load.
 */
const port = Number(process.env.PORT ?? 4999)
const workers = Number(process.env.WORKERS ?? 1)

if (cluster.isPrimary && workers > 1) {
  let up = 0
  for (let i = 0; i < workers; i++) {
    cluster.fork().once('listening', () => {
      if (++up === workers) process.stdout.write('ready\n')
    })
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    process.exit(0)
  })
} else {
  const signers = {
    rs256: new CompactSigner(
      'RS256',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      { kid: 'ins_key_floor' },
    ),
    es256: new CompactSigner(
      'ES256',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    ),
  }
  // Exactly the headers of Latchkey's token answer to a browser (JSON API set, no-store, CORS
  // with credentials for its origin), so the floor writes the same bytes a mint does.
  const headers = {
    ...apiSecurityHeaders(false),
    'cache-control': 'no-store',
    'access-control-allow-credentials': 'true',
    'access-control-allow-origin': 'http://127.0.0.1:4000',
    'access-control-expose-headers': 'Authorization, x-trace-id, Retry-After',
    vary: 'Origin',
    'content-type': 'application/json',
  }
  const app = Fastify()
  app.post('/json', async () => ({ object: 'token', jwt: 'x'.repeat(600) }))
  for (const [alg, signer] of Object.entries(signers)) {
    app.post(`/${alg}`, async (_req, reply) => {
      const iat = Math.floor(Date.now() / 1000)
      const jwt = signer.sign({
        azp: 'http://127.0.0.1:4000',
        exp: iat + 60,
        fva: [0, -1],
        iat,
        iss: 'http://127.0.0.1:4000',
        jti: randomBase62(20),
        nbf: iat - 5,
        sid: 'sess_2yQ5B3oV8m9kLq7W1xZcR4tN6pE',
        sts: 'active',
        sub: 'user_2yQ5B3oV8m9kLq7W1xZcR4tN6pF',
        v: 2,
      })
      reply.headers(headers).header('x-trace-id', randomUUID())
      return Buffer.from(JSON.stringify({ object: 'token', jwt }), 'utf8')
    })
  }
  await app.listen({ port, host: '127.0.0.1' })
  if (cluster.isPrimary) process.stdout.write('ready\n')
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
}
