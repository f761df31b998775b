import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { createClerkClient } from '@clerk/backend'
import { hash as argon2Hash } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'imported from elsewhere'

/** Firebase's published scrypt test vector (password "user1password"). */
const FIREBASE_DIGEST = [
  'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
  '42xEC+ixf3L2lw==',
  'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  'Bw==',
  '8',
  '14',
].join('$')

function djangoPbkdf2(password: string): string {
  const salt = randomBytes(9).toString('base64url')
  const hash = pbkdf2Sync(password, salt, 10_000, 32, 'sha256').toString('base64')
  return `pbkdf2_sha256$10000$${salt}$${hash}`
}

describe.each(DIALECTS)('password digest import (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  const storedDigest = async (userId: string) => {
    const row = await server.db.db
      .selectFrom('users')
      .select(['password_digest', 'password_hasher'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()
    return row
  }

  const cases: Array<[string, () => Promise<{ digest: string; password: string }>]> = [
    ['bcrypt', async () => ({ digest: await bcrypt.hash(PASSWORD, 10), password: PASSWORD })],
    [
      'argon2i',
      async () => ({ digest: await argon2Hash(PASSWORD, { algorithm: 1 }), password: PASSWORD }),
    ],
    [
      'argon2id',
      async () => ({
        digest: await argon2Hash(PASSWORD, { algorithm: 2, memoryCost: 4096, timeCost: 3 }),
        password: PASSWORD,
      }),
    ],
    ['pbkdf2_sha256', async () => ({ digest: djangoPbkdf2(PASSWORD), password: PASSWORD })],
    ['scrypt_firebase', async () => ({ digest: FIREBASE_DIGEST, password: 'user1password' })],
  ]

  it.each(cases)(
    'a %s digest signs in with the original password and is re-hashed to argon2id',
    async (hasher, make) => {
      const { digest, password } = await make()
      const email = `${hasher}@example.com`
      const user = await clerk.users.createUser({
        emailAddress: [email],
        passwordDigest: digest,
        passwordHasher: hasher as 'bcrypt',
      })
      expect(user.passwordEnabled).toBe(true)
      expect(await storedDigest(user.id)).toEqual({
        password_digest: digest,
        password_hasher: hasher,
      })

      const b = new BrowserClient(server.url)
      const wrong = await b.post('/v1/client/sign_ins', {
        identifier: email,
        password: 'not the original',
        strategy: 'password',
      })
      expect(wrong.json.errors[0].code).toBe('form_password_incorrect')
      expect((await storedDigest(user.id)).password_digest).toBe(digest)

      await b.signIn(email, password)
      const after = await storedDigest(user.id)
      expect(after.password_hasher).toBe('argon2id')
      expect(after.password_digest).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      // And the new digest still accepts the password.
      await new BrowserClient(server.url).signIn(email, password)
    },
  )

  it('refuses a digest that does not fit its hasher, and a digest without a hasher', async () => {
    const before = await server.snapshot()
    await expect(
      clerk.users.createUser({
        emailAddress: ['bad@example.com'],
        passwordDigest: 'not-bcrypt',
        passwordHasher: 'bcrypt',
      }),
    ).rejects.toMatchObject({ status: 422, errors: [{ code: 'form_password_digest_invalid' }] })
    await expect(
      clerk.users.createUser({
        emailAddress: ['bad@example.com'],
        passwordDigest: await bcrypt.hash('x', 4),
      } as never),
    ).rejects.toMatchObject({
      status: 422,
      errors: [{ code: 'form_param_missing', meta: { paramName: 'password_hasher' } }],
    })
    await expect(
      clerk.users.createUser({
        emailAddress: ['bad@example.com'],
        passwordDigest: 'x',
        passwordHasher: 'md5' as 'bcrypt',
      }),
    ).rejects.toMatchObject({ status: 422 })
    expect(await server.snapshot()).toEqual(before)
  })

  it('new passwords are argon2id with OWASP parameters', async () => {
    const u = await clerk.users.createUser({
      emailAddress: ['fresh@example.com'],
      password: PASSWORD,
    })
    expect((await storedDigest(u.id)).password_digest).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/,
    )
    // skip_password_checks lets an operator set a password the policy would refuse.
    const weak = await clerk.users.createUser({
      emailAddress: ['weak@example.com'],
      password: 'password1',
      skipPasswordChecks: true,
    })
    expect(weak.passwordEnabled).toBe(true)
  })
})
