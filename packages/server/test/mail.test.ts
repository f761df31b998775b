import { writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** Queues one message through the mail service, in an atomic write of its own. */
async function queue(server: TestServer, to: string, code = '123456'): Promise<void> {
  const write = server.services.mail.enqueue(to, {
    kind: 'verification_code',
    code,
    purpose: 'sign_up',
  })
  await writeAtomically(server.db.db, server.db.dialect, [write])
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
    const compiled = write(server.db.db).compile()
    for (const p of compiled.parameters) if (typeof p === 'string') stored.push(p)
    expect(stored.some((p) => p.includes('token=abc'))).toBe(false)
    expect(stored.filter((p) => p.startsWith('v1.')).length).toBe(2)
  })

  it('delivers a link that linkFrom finds', async () => {
    const after = smtp.messages.length
    const url = 'http://127.0.0.1:1/v1/verify?token=tok_123'
    await writeAtomically(server.db.db, server.db.dialect, [
      server.services.mail.enqueue('link@example.com', {
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
        server.services.mail.enqueue('never@example.com', {
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
      .toMatchObject({ status: 'queued', attempts: 1 })
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
