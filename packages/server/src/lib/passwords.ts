import { Buffer } from 'node:buffer'
import { createCipheriv, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import type { Algorithm } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { HashPool } from './hash-pool.js'

const pbkdf2Async = promisify(pbkdf2)
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>

/** OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1. */
export const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm, // Argon2id
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const

/** Password digests Latchkey can import (Clerk's `password_hasher` values). */
export const IMPORT_HASHERS = [
  'argon2id',
  'argon2i',
  'bcrypt',
  'scrypt_firebase',
  'pbkdf2_sha256',
] as const
export type PasswordHasher = (typeof IMPORT_HASHERS)[number]

/*
 * Password hashing is CPU-bound by design. Running more hashes at once than this process's share
 * of the cores only starves the event loop (every other request, token mints included) without
 * hashing any faster, so argon2 runs on a fixed pool of low-priority threads (`hash-pool.ts`),
 * sized at boot from LATCHKEY_HASH_CONCURRENCY.
 */
const pool = new HashPool(1)

/** How many password hashes or verifications this process runs at once. */
export function setHashConcurrency(n: number): void {
  pool.resize(n)
}

/**
 * Password hashes queued or running in this process: people signing in or up wait on them.
 * Background work (webhook delivery) yields while there are any — it runs at normal priority
 * and would otherwise take the cores from the low-priority hash threads.
 */
export function passwordWorkInFlight(): number {
  return pool.inFlight
}

/** Hashes with argon2id on the low-priority pool, never on the event loop. */
export function hashPassword(password: string): Promise<string> {
  return pool.hash(password, ARGON2_OPTIONS)
}

/** Whether a stored digest should be replaced by a fresh argon2id one after a successful sign-in. */
export function needsRehash(hasher: string, digest: string): boolean {
  if (hasher !== 'argon2id') return true
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(digest)
  return (
    !m || Number(m[1]) !== ARGON2_OPTIONS.memoryCost || Number(m[2]) !== ARGON2_OPTIONS.timeCost
  )
}

/** Whether a digest is well-formed for its hasher, checked when it is imported. */
export function isValidDigest(hasher: PasswordHasher, digest: string): boolean {
  switch (hasher) {
    case 'argon2id':
      return /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(digest)
    case 'argon2i':
      return /^\$argon2i\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(digest)
    case 'bcrypt':
      return /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(digest)
    case 'scrypt_firebase':
      return parseFirebase(digest) !== undefined
    case 'pbkdf2_sha256':
      return parsePbkdf2(digest) !== undefined
  }
}

/**
 * Verifies a password against a digest of any supported hasher. Every branch runs off the event
 * loop (argon2 on the pool, bcryptjs's async API, node:crypto's async scrypt and pbkdf2).
 */
export async function verifyPassword(
  hasher: string,
  digest: string,
  password: string,
): Promise<boolean> {
  switch (hasher) {
    case 'argon2id':
    case 'argon2i':
      return pool.verify(digest, password).catch(() => false)
    case 'bcrypt':
      return bcrypt.compare(password, digest)
    case 'scrypt_firebase':
      return verifyFirebaseScrypt(digest, password)
    case 'pbkdf2_sha256':
      return verifyPbkdf2(digest, password)
    default:
      return false
  }
}

let decoy: Promise<string> | undefined

/**
 * Spends a verification's time on a password no account has, and answers false: a sign-in
 * refused before any password is checked (no such user, a banned one) then takes as long as a
 * wrong password, so the answer's timing does not tell which it was.
 */
export async function verifyNoAccount(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'))
  try {
    await pool.verify(await decoy, password)
  } catch {
    // A failed hash is made again next time: the answer is "incorrect" either way, never a 500.
    decoy = undefined
  }
  return false
}

/* Django's format: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`. */
function parsePbkdf2(digest: string) {
  const [alg, iter, salt, hash] = digest.split('$')
  const iterations = Number(iter)
  if (alg !== 'pbkdf2_sha256' || !salt || !hash || !Number.isInteger(iterations)) return undefined
  if (iterations < 1 || iterations > 10_000_000) return undefined
  return { iterations, salt, hash: Buffer.from(hash, 'base64') }
}

async function verifyPbkdf2(digest: string, password: string): Promise<boolean> {
  const p = parsePbkdf2(digest)
  if (!p || p.hash.length === 0) return false
  const derived = await pbkdf2Async(password, p.salt, p.iterations, p.hash.length, 'sha256')
  return timingSafeEqual(derived, p.hash)
}

/*
 * Firebase's modified scrypt, in Clerk's import format:
 * `<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<memory cost>`, the first four base64.
 * The derived key (scrypt over salt ‖ separator) encrypts the signer key with AES-256-CTR and a
 * zero IV; the result must equal the stored hash.
 */
function parseFirebase(digest: string) {
  const [hash, salt, signer, separator, rounds, memCost] = digest.split('$')
  const r = Number(rounds)
  const m = Number(memCost)
  if (!hash || !salt || !signer || separator === undefined) return undefined
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(m) || m < 1 || m > 20)
    return undefined
  return {
    hash: Buffer.from(hash, 'base64'),
    salt: Buffer.from(salt, 'base64'),
    signer: Buffer.from(signer, 'base64'),
    separator: Buffer.from(separator, 'base64'),
    rounds: r,
    memCost: m,
  }
}

async function verifyFirebaseScrypt(digest: string, password: string): Promise<boolean> {
  const p = parseFirebase(digest)
  if (!p) return false
  const N = 2 ** p.memCost
  const key = await scryptAsync(
    Buffer.from(password, 'utf8'),
    Buffer.concat([p.salt, p.separator]),
    32,
    {
      N,
      r: p.rounds,
      p: 1,
      maxmem: 256 * N * p.rounds + 1024 * 1024,
    },
  )
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  const out = Buffer.concat([cipher.update(p.signer), cipher.final()])
  return out.length === p.hash.length && timingSafeEqual(out, p.hash)
}
