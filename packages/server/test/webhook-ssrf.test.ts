import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config/load-config.js'
import { addressProblem } from '../src/webhooks/endpoint-address.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19 item 4: endpoint URLs cannot reach loopback, private, link-local or reserved
 * addresses unless the operator allows them, at creation and again at every delivery (a name
 * resolved when the endpoint was created can resolve elsewhere later).
 */

describe('the address policy', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fd00::1',
    'fc00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1',
  ])('refuses %s', (address) => {
    expect(addressProblem(address, [])).toMatch(/LATCHKEY_WEBHOOK_ALLOW_PRIVATE/)
    expect(addressProblem(address, 'all')).toBeUndefined()
  })

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows the public %s',
    (address) => expect(addressProblem(address, [])).toBeUndefined(),
  )

  it('an allow list opens only its ranges', () => {
    expect(addressProblem('10.0.5.7', ['10.0.5.0/24'])).toBeUndefined()
    expect(addressProblem('10.0.6.7', ['10.0.5.0/24'])).toBeDefined()
    expect(addressProblem('127.0.0.1', ['127.0.0.1'])).toBeUndefined()
    expect(addressProblem('169.254.169.254', ['127.0.0.1'])).toBeDefined()
  })

  it('a bad LATCHKEY_WEBHOOK_ALLOW_PRIVATE stops the boot, naming it', () => {
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'yes please' })).toThrow(ConfigError)
    expect(() => loadConfig({ LATCHKEY_WEBHOOK_ALLOW_PRIVATE: '10.0.0.0/33' })).toThrow(
      /LATCHKEY_WEBHOOK_ALLOW_PRIVATE/,
    )
    expect(loadConfig({ LATCHKEY_WEBHOOK_ALLOW_PRIVATE: '1' }).outboundAllowPrivate).toBe('all')
    expect(loadConfig({}).outboundAllowPrivate).toEqual([])
    expect(
      loadConfig({ LATCHKEY_WEBHOOK_ALLOW_PRIVATE: '10.0.5.0/24, fd00::/8' }).outboundAllowPrivate,
    ).toEqual(['10.0.5.0/24', 'fd00::/8'])
  })
})

describe.each(DIALECTS)('webhook endpoints and private addresses (%s)', (dialect) => {
  let server: TestServer
  let allowing: TestServer
  let receiver: WebhookReceiver

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'off' } })
    allowing = await createTestServer(dialect, {
      env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32' },
    })
    receiver = await WebhookReceiver.start()
  })
  afterAll(async () => {
    await server?.close()
    await allowing?.close()
    await receiver?.stop()
  })

  const create = async (s: TestServer, url: string) => {
    const res = await fetch(`${s.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it.each([
    'http://127.0.0.1:9/hook',
    'http://localhost:9/hook',
    'http://[::1]:9/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://0.0.0.0:9/',
    'http://2130706433/',
  ])('refuses %s at creation', async (url) => {
    const before = await server.db.db.selectFrom('webhook_endpoints').select('id').execute()
    const res = await create(server, url)
    expect(res.status).toBe(422)
    expect(res.body).toMatchObject({
      errors: [{ code: 'form_param_value_invalid', meta: { param_name: 'url' } }],
    })
    expect(JSON.stringify(res.body)).toMatch(/LATCHKEY_WEBHOOK_ALLOW_PRIVATE/)
    expect(await server.db.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual(
      before,
    )
  })

  it('refuses at delivery a name that now resolves to loopback (no request reaches it)', async () => {
    // `.invalid` never resolves (RFC 6761), so creation accepts it, as it would a public name.
    const created = await create(server, `http://rebind.invalid:${receiver.port}/hook`)
    expect(created.status).toBe(200)
    const id = created.body.id as string
    // The name now resolves to 127.0.0.1 (`localhost` does): DNS changed after the check.
    await server.db.db
      .updateTable('webhook_endpoints')
      .set({ url: `http://localhost:${receiver.port}/hook` })
      .where('id', '=', id)
      .execute()
    await server.services.webhooks.sendTest(id)
    await server.services.webhookWorker.drained()
    const [delivery] = await server.services.webhooks.deliveries(id, { limit: 5, offset: 0 })
    expect(delivery?.attempts).toBe(1)
    expect(delivery?.last_error).toMatch(/localhost resolves to (127\.0\.0\.1|::1) is a loopback/)
    expect(delivery?.last_status_code).toBeNull()
    expect(receiver.received).toHaveLength(0)
  })

  it('an operator allow list lets 127.0.0.1 through, and nothing else', async () => {
    const ok = await create(allowing, receiver.url)
    expect(ok.status).toBe(200)
    expect((await create(allowing, 'http://10.0.0.1/hook')).status).toBe(422)
    expect((await create(allowing, 'http://[::1]:9/hook')).status).toBe(422)
    await allowing.services.webhooks.sendTest(ok.body.id as string)
    await allowing.services.webhookWorker.drained()
    await receiver.waitFor((r) => r.length === 1)
    expect(receiver.delivered()[0]?.envelope.type).toBe('webhook.test')
  })
})
