import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeAtomically } from '@latchkey/db'
import { afterAll, describe, expect, it } from 'vitest'
import { createCore, type LatchkeyCore } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { freshDatabase } from './helpers/fresh-database.js'
import { codeFrom, startSmtpServer } from './helpers/smtp.js'
import { spawnServer } from './helpers/spawn-server.js'
import { DIALECTS, freePort } from './helpers/test-server.js'

/*
 * Issue #16 item 2, shown on the real server process: the outbox survives a crash, and without
 * SMTP the dev mailbox keeps every message where a developer finds it (`latchkey mail`).
 */

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

/** A data folder and a fresh database, and the environment a server process runs with. */
async function setUp(dialect: 'sqlite' | 'postgres', extra: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-mail-'))
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
  const db = await freshDatabase(dialect, dataDir)
  cleanups.push(db.drop)
  const port = await freePort()
  return {
    dataDir,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: db.url,
      LATCHKEY_RATE_LIMIT: 'off',
      LATCHKEY_LOG_LEVEL: 'info',
      ...extra,
    },
  }
}

/**
 * Another process's view of the same database, with the server's own modules (its services,
 * keys and configuration): what a flow does when it queues mail, here without one.
 */
async function openCore(env: Record<string, string>): Promise<LatchkeyCore> {
  const core = await createCore({ config: loadConfig({ ...env, LATCHKEY_LOG_LEVEL: 'silent' }) })
  cleanups.push(() => core.db.close())
  return core
}

async function queueCodes(core: LatchkeyCore, codes: string[], to: (i: number) => string) {
  for (const [i, code] of codes.entries()) {
    // Apart by a few milliseconds: the mailbox orders by the time queued, to the millisecond,
    // and two messages queued within one are in the order of their random ids.
    if (i) await new Promise((r) => setTimeout(r, 5))
    await writeAtomically(core.db.db, core.db.dialect, [
      ...core.services.mail.enqueue(to(i), { kind: 'verification_code', code, purpose: 'sign_in' }),
    ])
  }
}

const outbox = (core: LatchkeyCore) =>
  core.db.db.selectFrom('mail_outbox').selectAll().orderBy('to_address').execute()

describe.each(DIALECTS)('the mail outbox in the server process (%s)', (dialect) => {
  it('survives a SIGKILL with the SMTP server down: each message arrives once', async () => {
    const smtp = await startSmtpServer()
    cleanups.push(() => smtp.close())
    await smtp.stop()
    const { env } = await setUp(dialect, { LATCHKEY_SMTP_URL: smtp.url })
    const first = spawnServer(env)
    cleanups.push(async () => void first.child.kill('SIGKILL'))
    await first.ready
    const core = await openCore(env)
    const codes = ['111111', '222222', '333333']
    await queueCodes(core, codes, (i) => `crash${i}@example.com`)
    // Every message tried once and refused (nothing listens), none held by a lease: the next
    // attempts are 5 s away, so the kill lands between them.
    await expect
      .poll(
        async () =>
          (await outbox(core)).every((r) => r.attempts >= 1 && r.locked_until === null) &&
          (await outbox(core)).length === codes.length,
        { timeout: 15_000 },
      )
      .toBe(true)
    first.child.kill('SIGKILL')
    await first.exited
    await smtp.start()
    const second = spawnServer(env)
    cleanups.push(async () => void second.child.kill('SIGKILL'))
    await second.ready
    for (const [i, code] of codes.entries())
      expect(codeFrom(await smtp.waitForMail(`crash${i}@example.com`, { timeoutMs: 20_000 }))).toBe(
        code,
      )
    await expect
      .poll(async () => (await outbox(core)).map((r) => r.status))
      .toEqual(codes.map(() => 'sent'))
    // A little longer: no second copy follows.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(
      codes.map((_, i) => `crash${i}@example.com`),
    )
    expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(codes.length)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 120_000)

  it('without SMTP prints each message, keeps it as a 0600 .eml file, and latchkey mail shows it', async () => {
    const { env, dataDir } = await setUp(dialect)
    const server = spawnServer(env)
    cleanups.push(async () => void server.child.kill('SIGKILL'))
    await server.ready
    const core = await openCore(env)
    await queueCodes(core, ['456789', '987654'], (i) => `dev${i}@example.com`)
    await expect
      .poll(() => server.output(), { timeout: 10_000 })
      .toContain('Mail to:  dev1@example.com')
    // A readable block on stdout: the recipient, the subject and the text with the code.
    expect(server.output()).toContain('│ Subject:  456789 is your Latchkey verification code')
    expect(server.output()).toMatch(/│ 987654\n/)
    const mailDir = join(dataDir, 'mail')
    await expect.poll(() => readdirSync(mailDir).length).toBe(2)
    expect(statSync(mailDir).mode & 0o777).toBe(0o700)
    for (const f of readdirSync(mailDir)) {
      expect(f).toMatch(/\.eml$/)
      expect(statSync(join(mailDir, f)).mode & 0o777).toBe(0o600)
    }
    const cli = async (...args: string[]) =>
      (await run(process.execPath, [CLI, 'mail', ...args], { env })).stdout
    const list = await cli()
    // Newest first.
    expect(list.indexOf('dev1@example.com')).toBeLessThan(list.indexOf('dev0@example.com'))
    expect(list).toContain('987654 is your Latchkey verification code')
    const shown = await cli('show', '2')
    expect(shown).toContain('To:      dev0@example.com')
    expect(shown).toContain('Subject: 456789 is your Latchkey verification code')
    expect(shown).toContain('If you did not ask for this, ignore this email')
    expect(shown).toMatch(/\n456789\n/)
    const [row] = (await outbox(core)).filter((r) => r.to_address === 'dev1@example.com')
    expect(await cli('show', row?.id ?? '')).toContain('987654')
    await expect(cli('show', '9')).rejects.toMatchObject({ code: 1 })
    await expect(cli('frobnicate')).rejects.toMatchObject({ code: 2 })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 120_000)
})

/** A self-signed certificate for 127.0.0.1 (openssl), and its file for NODE_EXTRA_CA_CERTS. */
async function localCertificate(dir: string) {
  const key = join(dir, 'smtp.key')
  const cert = join(dir, 'smtp.crt')
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ])
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), certFile: cert }
}

describe('mail over smtps:// with authentication, from the real process', () => {
  it('refuses a relay it cannot verify (retried), then verifies, authenticates and delivers', async () => {
    const { env, dataDir } = await setUp('sqlite')
    const tls = await localCertificate(dataDir)
    const smtp = await startSmtpServer({
      auth: { user: 'relay@example.com', pass: 'p@ss word' },
      tls,
    })
    cleanups.push(() => smtp.close())
    expect(smtp.url).toMatch(/^smtps:\/\/relay%40example\.com:p%40ss%20word@127\.0\.0\.1:\d+$/)
    const untrusting = {
      ...env,
      LATCHKEY_SMTP_URL: smtp.url,
      LATCHKEY_EMAIL_FROM: 'Acme <no-reply@acme.test>',
    }
    // First a process that does not trust the certificate: it must not send in the clear or to
    // an unverified relay, only fail the attempt (to retry).
    const refusing = spawnServer(untrusting)
    cleanups.push(async () => void refusing.child.kill('SIGKILL'))
    await refusing.ready
    const core = await openCore(untrusting)
    await queueCodes(core, ['192837'], () => 'tls@example.com')
    const row = async () => (await outbox(core))[0]
    await expect
      .poll(async () => (await row())?.last_error ?? '', { timeout: 15_000 })
      .toMatch(/certificate/i)
    expect(smtp.messages).toHaveLength(0)
    refusing.child.kill('SIGTERM')
    expect(await refusing.exited).toBe(0)
    // The process trusts the test's certificate as it would a public relay's.
    const server = spawnServer({ ...untrusting, NODE_EXTRA_CA_CERTS: tls.certFile })
    cleanups.push(async () => void server.child.kill('SIGKILL'))
    await server.ready
    const mail = await smtp.waitForMail('tls@example.com', { timeoutMs: 20_000 })
    expect(codeFrom(mail)).toBe('192837')
    expect(mail.from).toBe('no-reply@acme.test')
    expect(mail.parsed.from?.value[0]).toMatchObject({
      name: 'Acme',
      address: 'no-reply@acme.test',
    })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 120_000)
})
