import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { writeAtomically } from '@latchkey/db'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DevMailbox } from '../src/mail/dev-mailbox.js'
import { renderMail } from '../src/mail/mail-templates.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** Queues one message through the mail service, in an atomic write of its own. */
async function queue(server: TestServer, to: string, code = '123456'): Promise<void> {
  const write = server.services.mail.enqueue(to, {
    kind: 'verification_code',
    code,
    purpose: 'sign_up',
  })
  await writeAtomically(server.db.db, server.db.dialect, write)
  server.services.mail.kick()
}

async function outbox(server: TestServer) {
  return server.db.db.selectFrom('mail_outbox').selectAll().orderBy('created_at').execute()
}

describe.each(DIALECTS)('mail delivery through SMTP (%s)', (dialect) => {
  let smtp: TestSmtpServer
  let server: TestServer

  beforeAll(async () => {
    smtp = await startSmtpServer({ auth: { user: 'relay', pass: 's3cret' } })
    server = await createTestServer(dialect, { smtpUrl: smtp.url, fake: true })
    await server.services.instance.updateSettings({ application_name: 'Acme Rockets' })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  it('delivers a queued code with text and HTML parts naming the application', async () => {
    const after = smtp.messages.length
    await queue(server, 'ada@example.com', '424242')
    const mail = await smtp.waitForMail('ada@example.com', { after })
    expect(codeFrom(mail)).toBe('424242')
    expect(mail.subject).toBe('424242 is your Acme Rockets verification code')
    expect(mail.text).toContain('Acme Rockets')
    expect(mail.text).toContain('10 minutes')
    expect(mail.text).toContain('If you did not ask for this, ignore this email')
    expect(mail.html).toContain('Acme Rockets')
    expect(mail.html).toContain('424242')
    expect(mail.html).not.toMatch(/<img|<link|<style|src=/i)
    expect(mail.from).toBe('no-reply@127.0.0.1')
    // The relay's acceptance is recorded just after it answers.
    await expect
      .poll(async () => (await outbox(server)).find((r) => r.to_address === 'ada@example.com'))
      .toMatchObject({ status: 'sent' })
    const [row] = (await outbox(server)).filter((r) => r.to_address === 'ada@example.com')
    expect(mail.messageId).toBe(row?.message_id)
    // Once sent, the live code is no longer stored, sealed or not.
    expect(row?.text_sealed).toBeNull()
    expect(row?.html_sealed).toBeNull()
  })

  it('keeps the bodies sealed while queued', async () => {
    const write = server.services.mail.enqueue('sealed@example.com', {
      kind: 'verification_link',
      url: 'https://app.example.com/verify?token=abc',
      purpose: 'add_email',
    })
    const stored: string[] = []
    // Build the row without running it, to see what the database would hold.
    const [row] = write
    if (!row) throw new Error('no mail row')
    const compiled = row(server.db.db).compile()
    for (const p of compiled.parameters) if (typeof p === 'string') stored.push(p)
    expect(stored.some((p) => p.includes('token=abc'))).toBe(false)
    expect(stored.filter((p) => p.startsWith('v1.')).length).toBe(2)
  })

  it('delivers a link that linkFrom finds', async () => {
    const after = smtp.messages.length
    const url = 'http://127.0.0.1:1/v1/verify?token=tok_123'
    await writeAtomically(server.db.db, server.db.dialect, [
      ...server.services.mail.enqueue('link@example.com', {
        kind: 'verification_link',
        url,
        purpose: 'sign_in',
      }),
    ])
    server.services.mail.kick()
    const mail = await smtp.waitForMail('link@example.com', { after })
    expect(linkFrom(mail)).toBe(url)
    expect(mail.html).toContain('href="http://127.0.0.1:1/v1/verify?token=tok_123"')
  })

  it('queues nothing when the atomic write rolls back', async () => {
    const before = (await outbox(server)).length
    const instance = await server.db.db
      .selectFrom('instances')
      .selectAll()
      .executeTakeFirstOrThrow()
    await expect(
      writeAtomically(server.db.db, server.db.dialect, [
        ...server.services.mail.enqueue('never@example.com', {
          kind: 'reset_password_code',
          code: '000111',
        }),
        // A second instance row with the same id: a unique violation, so the group fails.
        (q) => q.insertInto('instances').values(instance),
      ]),
    ).rejects.toThrow()
    expect((await outbox(server)).length).toBe(before)
  })

  it('retries while the SMTP server is down and delivers once it is back', async () => {
    await smtp.stop()
    const after = smtp.messages.length
    await queue(server, 'retry@example.com', '777888')
    await expect
      .poll(async () => (await outbox(server)).find((r) => r.to_address === 'retry@example.com'))
      .toMatchObject({ status: 'queued', attempts: 1, locked_until: null })
    const [failed] = (await outbox(server)).filter((r) => r.to_address === 'retry@example.com')
    expect(failed?.last_error).toBeTruthy()
    await smtp.start()
    // The next attempt waits 5 s (on the server's clock, moved by hand here).
    if ('advance' in server.clock) server.clock.advance(5_000)
    server.services.mail.kick()
    const mail = await smtp.waitForMail('retry@example.com', { after })
    expect(codeFrom(mail)).toBe('777888')
    await expect
      .poll(async () => (await outbox(server)).find((r) => r.to_address === 'retry@example.com'))
      .toMatchObject({ status: 'sent', attempts: 2 })
    expect(smtp.messages.filter((m) => m.to.includes('retry@example.com'))).toHaveLength(1)
  })
})

describe.each(DIALECTS)('the outbox over time (%s)', (dialect) => {
  let smtp: TestSmtpServer
  let server: TestServer
  const clock = () => server.clock as { advance(ms: number): void }
  const row = async (to: string) =>
    (await outbox(server)).find((r) => r.to_address === to) ?? expect.fail(`no row for ${to}`)

  beforeAll(async () => {
    smtp = await startSmtpServer({ rejectRecipients: ['gone@example.com'] })
    server = await createTestServer(dialect, { smtpUrl: smtp.url, fake: true })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  it('gives up at once on a recipient the relay refuses for good', async () => {
    await queue(server, 'gone@example.com')
    await expect.poll(async () => (await row('gone@example.com')).status).toBe('failed')
    const failed = await row('gone@example.com')
    expect(failed).toMatchObject({ attempts: 1, text_sealed: null, html_sealed: null })
    expect(failed.last_error).toMatch(/mailbox unavailable/)
  })

  it('takes back a message whose sender died holding its lease, once the lease ends', async () => {
    await server.services.mail.stop()
    await queue(server, 'orphan@example.com', '313131')
    // A claim by a process that then died: the row is leased for 2 minutes.
    await server.db.db
      .updateTable('mail_outbox')
      .set({ locked_until: server.clock.now() + 120_000, attempts: 1 })
      .where('to_address', '=', 'orphan@example.com')
      .execute()
    server.services.mail.start()
    await new Promise((r) => setTimeout(r, 1_500))
    expect(smtp.messages.some((m) => m.to.includes('orphan@example.com'))).toBe(false)
    clock().advance(120_001)
    server.services.mail.kick()
    expect(codeFrom(await smtp.waitForMail('orphan@example.com'))).toBe('313131')
    await expect.poll(async () => (await row('orphan@example.com')).attempts).toBe(2)
  })

  it('gives up a day after queueing while the relay stays down, and prunes old rows after a week', async () => {
    await smtp.stop()
    await queue(server, 'down@example.com')
    await expect
      .poll(async () => {
        const r = await row('down@example.com')
        return r.attempts === 1 && r.locked_until === null
      })
      .toBe(true)
    // Each retry is due after its backoff; a day later the next one would be too late.
    for (let i = 0; i < 12 && (await row('down@example.com')).status === 'queued'; i++) {
      const before = (await row('down@example.com')).attempts
      clock().advance(4 * 3_600_000)
      server.services.mail.kick()
      // The attempt is counted when claimed: wait until it is over (its lease released).
      await expect
        .poll(async () => {
          const r = await row('down@example.com')
          return r.attempts > before && r.locked_until === null
        })
        .toBe(true)
    }
    const given = await row('down@example.com')
    expect(given).toMatchObject({ status: 'failed', text_sealed: null, html_sealed: null })
    expect(given.attempts).toBeGreaterThan(5)
    await smtp.start()
    // A week on, the next pass prunes the rows of every message done with (sent or given up).
    clock().advance(8 * 24 * 3_600_000)
    await queue(server, 'fresh@example.com')
    await smtp.waitForMail('fresh@example.com')
    await expect
      .poll(async () => (await outbox(server)).map((r) => r.to_address))
      .toEqual(['fresh@example.com'])
  })
})

describe('the dev mailbox', () => {
  const mail = {
    ...renderMail({ kind: 'verification_code', code: '246810', purpose: 'add_email' }, 'Acme'),
    id: 'mail_test1',
    to: 'dev@example.com',
    from: 'Latchkey <no-reply@localhost>',
    messageId: '<mail_test1@localhost>',
    createdAt: Date.UTC(2026, 11, 1),
  }

  it('with no data folder (an in-memory database) only logs the readable block', async () => {
    let logged = ''
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString()
        done()
      },
    })
    await new DevMailbox(undefined, pino(sink), undefined).send(mail)
    const line = JSON.parse(logged.trim().split('\n')[0] ?? '{}')
    expect(line.mail).toMatchObject({ id: 'mail_test1', to: 'dev@example.com' })
    expect(line.msg).toContain('│ Mail to:  dev@example.com')
    expect(line.msg).toContain('│ 246810')
    expect(line.msg).not.toContain('Saved as')
  })

  it('rewrites the same file when the same row is sent again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-mailbox-'))
    try {
      const printed: string[] = []
      const box = new DevMailbox(dir, pino({ level: 'silent' }), (b) => printed.push(b))
      await box.send(mail)
      await box.send(mail)
      expect(readdirSync(join(dir, 'mail'))).toEqual(['20261201T000000-000Z-mail_test1.eml'])
      expect(printed).toHaveLength(2)
      expect(printed[0]).toContain('Saved as:')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the mail templates', () => {
  const kinds = [
    { kind: 'verification_code', code: '135790', purpose: 'sign_up' },
    { kind: 'verification_code', code: '135790', purpose: 'sign_in' },
    { kind: 'verification_code', code: '135790', purpose: 'add_email' },
    {
      kind: 'verification_link',
      url: 'https://auth.example.com/v1/verify?token=t1',
      purpose: 'sign_up',
    },
    {
      kind: 'verification_link',
      url: 'https://auth.example.com/v1/verify?token=t1',
      purpose: 'sign_in',
    },
    {
      kind: 'verification_link',
      url: 'https://auth.example.com/v1/verify?token=t1',
      purpose: 'add_email',
    },
    { kind: 'reset_password_code', code: '135790' },
  ] as const

  it.each(kinds)(
    '$kind ($purpose) names the application, the secret, its lifetime and what to do if unasked',
    (message) => {
      const { subject, text, html } = renderMail(message, 'Acme & <Co>')
      expect(subject).toContain('Acme & <Co>')
      const secret = 'code' in message ? message.code : message.url
      for (const body of [text, html]) {
        expect(body).toContain('10 minutes')
        expect(body).toContain('If you did not ask for this, ignore this email')
      }
      expect(text).toContain(secret)
      expect(text).toContain('Acme & <Co>')
      // HTML: the name escaped, the secret present, nothing remote.
      expect(html).toContain('Acme &amp; &lt;Co&gt;')
      expect(html).not.toContain('<Co>')
      expect(html).toContain(secret)
      expect(html).not.toMatch(/<img|<link|<script|<style|url\(/i)
      if (message.kind === 'reset_password_code') expect(subject).toMatch(/password reset code/)
    },
  )
})
