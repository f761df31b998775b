import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bapi, makeUser, operatorSignIn, operatorToken } from './helpers/operators.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #20: everything the dashboard does is a Backend API call with the operator's credential,
// so a script can do it too — here Clerk's own Backend API client — and every change is in the
// audit log (who, what, when, with what outcome).

const PASSWORD = 'operator passphrase 2026'
type FakeClock = { advance(ms: number): void; set(ms: number): void }

describe.each(DIALECTS)('the audit log (%s)', (dialect) => {
  let server: TestServer
  let operatorId: string
  const address = `auditor-${dialect}@example.com`
  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
    operatorId = await makeUser(server, address, PASSWORD)
  })
  afterAll(() => server?.close())
  /** Events in the same millisecond have no order between them: move the clock on. */
  const tick = () => (server.clock as unknown as FakeClock).advance(1000)

  it('@clerk/backend with an operator credential lists and bans users; each change is recorded', async () => {
    const targetId = await makeUser(server, `target-${dialect}@example.com`, PASSWORD, {
      operator: false,
    })
    const signIn = await operatorSignIn(
      server,
      { identifier: address, password: PASSWORD },
      {
        'user-agent': 'dashboard-test/1.0',
      },
    )
    expect(signIn.status).toBe(200)
    const token: string = signIn.json.token
    const clerk = createClerkClient({ secretKey: token, apiUrl: server.url })
    const { data, totalCount } = await clerk.users.getUserList({ limit: 100 })
    expect(totalCount).toBe(2)
    expect(data.map((u) => u.id).sort()).toEqual([operatorId, targetId].sort())
    tick()
    const banned = await clerk.users.banUser(targetId)
    expect(banned.banned).toBe(true)
    tick()
    // A failing change is recorded with its status.
    await expect(clerk.users.banUser('user_doesnotexist')).rejects.toMatchObject({ status: 404 })
    // Secret-key calls are an app's backend at work: not recorded.
    expect((await bapi(server, 'POST', `/v1/users/${targetId}/unban`)).status).toBe(200)
    tick()
    const out = await bapi(server, 'DELETE', '/v1/operator_sessions/current', undefined, token)
    expect(out.status).toBe(200)

    const log = await bapi(server, 'GET', `/v1/audit_events?actor_id=${operatorId}`)
    expect(log.status).toBe(200)
    const actor = { type: 'operator', id: operatorId, email_address: address }
    const at = server.clock.now()
    expect(log.json).toEqual([
      {
        object: 'audit_event',
        id: expect.stringMatching(/^aud_/),
        actor,
        action: 'operator.sign_out',
        method: 'DELETE',
        route: '/v1/operator_sessions/current',
        target_id: null,
        status_code: 200,
        ip: '127.0.0.1',
        user_agent: expect.any(String),
        created_at: at,
      },
      expect.objectContaining({
        actor,
        action: 'POST /v1/users/:user_id/ban',
        route: '/v1/users/:user_id/ban',
        target_id: 'user_doesnotexist',
        status_code: 404,
      }),
      expect.objectContaining({
        actor,
        action: 'POST /v1/users/:user_id/ban',
        method: 'POST',
        target_id: targetId,
        status_code: 200,
      }),
      expect.objectContaining({
        actor,
        action: 'operator.sign_in',
        method: 'POST',
        route: '/v1/operator_sessions',
        status_code: 200,
        user_agent: 'dashboard-test/1.0',
      }),
    ])
    // Paginated, newest first.
    const page = await bapi(
      server,
      'GET',
      `/v1/audit_events?actor_id=${operatorId}&paginated=true&limit=1&offset=1`,
    )
    expect(page.json).toEqual({ data: [log.json[1]], total_count: 4 })
  })

  it('records refused sign-ins: with the user when one was found, else without', async () => {
    const before = (await bapi(server, 'GET', '/v1/audit_events?paginated=true')).json.total_count
    tick()
    await operatorSignIn(server, { identifier: 'stranger@example.com', password: PASSWORD })
    tick()
    await operatorSignIn(server, { identifier: address, password: 'a wrong passphrase' })
    const log = await bapi(server, 'GET', '/v1/audit_events?limit=2')
    expect(log.json).toEqual([
      expect.objectContaining({
        actor: { type: 'operator', id: operatorId, email_address: address },
        action: 'operator.sign_in',
        status_code: 422,
      }),
      expect.objectContaining({
        actor: { type: 'operator', id: null, email_address: null },
        action: 'operator.sign_in',
        status_code: 422,
      }),
    ])
    const after = (await bapi(server, 'GET', '/v1/audit_events?paginated=true')).json.total_count
    expect(after).toBe(before + 2)
  })

  it('reads are not recorded; a refused credential records nothing', async () => {
    const token = await operatorToken(server, address, PASSWORD)
    const count = async () =>
      (await bapi(server, 'GET', '/v1/audit_events?paginated=true')).json.total_count
    const before = await count()
    expect((await bapi(server, 'GET', '/v1/users', undefined, token)).status).toBe(200)
    expect((await bapi(server, 'GET', '/v1/audit_events', undefined, token)).status).toBe(200)
    const bogus = `lk_op_${'b'.repeat(40)}`
    expect(
      (await bapi(server, 'POST', `/v1/users/${operatorId}/ban`, undefined, bogus)).status,
    ).toBe(401)
    expect(await count()).toBe(before)
    expect((await bapi(server, 'GET', '/v1/audit_events?actor_id=nope')).status).toBe(422)
  })
})

describe.each(DIALECTS)('operators, secret keys, instance and stats (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  it('operators: add (idempotent), list, remove; unknown users are 404', async () => {
    const id = await makeUser(server, `ops-${dialect}@example.com`, PASSWORD, { operator: false })
    expect((await bapi(server, 'GET', '/v1/operators')).json).toEqual([])
    const added = await bapi(server, 'POST', '/v1/operators', { user_id: id })
    const operator = {
      object: 'operator',
      user_id: id,
      email_address: `ops-${dialect}@example.com`,
      created_at: server.clock.now(),
    }
    expect(added).toMatchObject({ status: 200, json: operator })
    ;(server.clock as unknown as FakeClock).advance(1000)
    expect((await bapi(server, 'POST', '/v1/operators', { user_id: id })).json).toEqual(operator)
    expect((await bapi(server, 'GET', '/v1/operators')).json).toEqual([operator])
    const unknown = await bapi(server, 'POST', '/v1/operators', { user_id: 'user_nobody' })
    expect(unknown.status).toBe(404)
    expect(unknown.json.errors[0].code).toBe('resource_not_found')
    expect((await bapi(server, 'POST', '/v1/operators', { user_id: 'nope' })).status).toBe(422)
    const removed = await bapi(server, 'DELETE', `/v1/operators/${id}`)
    expect(removed.json).toEqual({ object: 'operator', id, deleted: true })
    expect((await bapi(server, 'DELETE', `/v1/operators/${id}`)).status).toBe(404)
    expect((await bapi(server, 'GET', '/v1/operators')).json).toEqual([])
  })

  it('secret keys: issue with a label (secret shown once), list, revoke; the key works until then', async () => {
    const issued = await bapi(server, 'POST', '/v1/secret_keys', { label: '  CI deploys ' })
    expect(issued.status).toBe(200)
    expect(issued.json).toEqual({
      object: 'secret_key',
      id: expect.stringMatching(/^ak_/),
      prefix: issued.json.secret.slice(0, 12),
      label: 'CI deploys',
      created_at: server.clock.now(),
      secret: expect.stringMatching(/^sk_live_/),
    })
    const plain = await bapi(server, 'POST', '/v1/secret_keys', {})
    expect(plain.json.label).toBeNull()
    const list = await bapi(server, 'GET', '/v1/secret_keys')
    const { secret, ...shown } = issued.json
    expect(list.json).toContainEqual(shown)
    expect(JSON.stringify(list.json)).not.toContain(secret)
    expect((await bapi(server, 'GET', '/v1/users/count', undefined, secret)).status).toBe(200)
    const revoked = await bapi(server, 'DELETE', `/v1/secret_keys/${issued.json.id}`)
    expect(revoked.json).toEqual({ object: 'secret_key', id: issued.json.id, deleted: true })
    expect((await bapi(server, 'GET', '/v1/users/count', undefined, secret)).status).toBe(401)
    expect((await bapi(server, 'DELETE', `/v1/secret_keys/${issued.json.id}`)).status).toBe(404)
    const tooLong = await bapi(server, 'POST', '/v1/secret_keys', { label: 'x'.repeat(101) })
    expect(tooLong.status).toBe(422)
    expect(tooLong.json.errors[0].meta.param_name).toBe('label')
  })

  it('GET /v1/instance names the Frontend API URL and the publishable key', async () => {
    const r = await bapi(server, 'GET', '/v1/instance')
    expect(r.json).toMatchObject({
      object: 'instance',
      frontend_api_url: server.url,
      publishable_key: server.publishableKey,
    })
  })

  it('users are found by full user id and by external id through ?query=', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({
      emailAddress: [`findme-${dialect}@example.com`],
      externalId: `ext-${dialect}-42`,
      password: PASSWORD,
    })
    for (const query of [user.id, `ext-${dialect}-42`]) {
      const found = await clerk.users.getUserList({ query })
      expect(found.data.map((u) => u.id)).toEqual([user.id])
      expect(await clerk.users.getCount({ query })).toBe(1)
    }
  })

  it('stats: users, active sessions, and sign-ups and sign-ins per UTC day, every day present', async () => {
    const clock = server.clock as unknown as FakeClock
    const day = 86_400_000
    clock.set(Date.UTC(2027, 5, 10, 23, 0))
    const before = (await bapi(server, 'GET', '/v1/instance/stats?days=3')).json
    const sign = (email: string) =>
      fetch(`${server.url}/v1/client/sign_ups`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: `email_address=${encodeURIComponent(email)}&password=${encodeURIComponent(PASSWORD)}`,
      })
    expect((await sign(`day1-${dialect}@example.com`)).status).toBe(200)
    clock.set(Date.UTC(2027, 5, 11, 0, 30))
    expect((await sign(`day2a-${dialect}@example.com`)).status).toBe(200)
    expect((await sign(`day2b-${dialect}@example.com`)).status).toBe(200)
    const signIn = await fetch(`${server.url}/v1/client/sign_ins`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: `identifier=${encodeURIComponent(`day1-${dialect}@example.com`)}&password=${encodeURIComponent(PASSWORD)}&strategy=password`,
    })
    expect(signIn.status).toBe(200)
    const stats = await bapi(server, 'GET', '/v1/instance/stats?days=3')
    expect(stats.status).toBe(200)
    expect(stats.json).toEqual({
      object: 'instance_stats',
      users: before.users + 3,
      active_sessions: before.active_sessions + 4,
      days: [
        { date: '2027-06-09', sign_ups: 0, sign_ins: 0 },
        { date: '2027-06-10', sign_ups: 1, sign_ins: 1 },
        { date: '2027-06-11', sign_ups: 2, sign_ins: 3 },
      ],
    })
    const month = await bapi(server, 'GET', '/v1/instance/stats')
    expect(month.json.days).toHaveLength(30)
    expect(month.json.days[29].date).toBe('2027-06-11')
    expect(new Date(`${month.json.days[0].date}T00:00:00Z`).getTime()).toBe(
      Date.UTC(2027, 5, 11) - 29 * day,
    )
    for (const bad of ['0', '91', 'x'])
      expect((await bapi(server, 'GET', `/v1/instance/stats?days=${bad}`)).status).toBe(422)
  })
})
