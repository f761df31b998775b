import { generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { hash } from '@node-rs/argon2'

/*
 * Ceilings: what the hardware does with no server in the way, measured in the same run as the
 * loads they bound (DESIGN.md §6).
 */

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createPrivateKey, createPublicKey, sign, verify } = require('node:crypto')
const { op, pem, pub, ms } = workerData
const key = op === 'sign' ? createPrivateKey(pem) : createPublicKey(pub)
const data = Buffer.from('eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc19rZXkiLCJ0eXAiOiJKV1QifQ.eyJhenAiOiJodHRwOi8vbG9jYWxob3N0OjUxNzMiLCJleHAiOjE3MDAwMDAwNjAsImZ2YSI6WzAsLTFdLCJpYXQiOjE3MDAwMDAwMDAsImlzcyI6Imh0dHA6Ly9sb2NhbGhvc3Q6NDAwMCIsImp0aSI6ImFiYyIsIm5iZiI6MTcwMDAwMDAwMCwic2lkIjoic2Vzc194Iiwic3RzIjoiYWN0aXZlIiwic3ViIjoidXNlcl94IiwidiI6Mn0')
const sig = sign('sha256', data, createPrivateKey(workerData.pem))
let n = 0
const end = Date.now() + ms
while (Date.now() < end) {
  for (let i = 0; i < 20; i++) {
    if (op === 'sign') sign('sha256', data, key)
    else verify('sha256', data, key, sig)
  }
  n += 20
}
parentPort.postMessage(n)
`

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const PUB = publicKey.export({ type: 'spki', format: 'pem' }).toString()

/** RS256 (RSA-2048) sign or verify operations per second over `threads` threads. */
export async function rs256Ceiling(
  op: 'sign' | 'verify',
  threads: number,
  ms: number,
): Promise<number> {
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(WORKER, { eval: true, workerData: { op, pem: PEM, pub: PUB, ms } })
          w.once('message', resolve)
          w.once('error', reject)
        }),
    ),
  )
  return counts.reduce((a, b) => a + b, 0) / (ms / 1000)
}

/** What one raw verification checks: the signing input, the public key, the signature. */
export type VerifySample = { data: Buffer; key: KeyObject; sig: Buffer }

/**
 * Single-threaded raw RS256 verification per second (the bound for one verifyToken loop):
 * node:crypto's `verify` over `sample` (a real token's signing input and signature, so the
 * hash covers the same bytes) or, without one, a token-sized input of this module's key.
 */
export function rs256VerifySingle(ms: number, sample?: VerifySample): number {
  const data = sample?.data ?? Buffer.from(`${'h'.repeat(100)}.${'p'.repeat(400)}`)
  const key = sample?.key ?? publicKey
  const sig = sample?.sig ?? sign('sha256', data, privateKey)
  let n = 0
  const end = Date.now() + ms
  while (Date.now() < end) {
    for (let i = 0; i < 20; i++) verify('sha256', data, key, sig)
    n += 20
  }
  return n / (ms / 1000)
}

/**
 * argon2id hashes per second with OWASP parameters, as many in flight as the thread pool runs,
 * or `inflight` (1 gives one thread's rate).
 */
export async function argon2Ceiling(
  ms: number,
  inflight = Math.max(4, availableParallelism() * 2),
): Promise<number> {
  const opts = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const
  let n = 0
  const end = Date.now() + ms
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (Date.now() < end) {
        await hash('a benchmark password', opts as Parameters<typeof hash>[1])
        n++
      }
    }),
  )
  return n / (ms / 1000)
}
