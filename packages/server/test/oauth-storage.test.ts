import { createHash } from 'node:crypto'
import { createClerkClient } from '@clerk/backend'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as hashingMigration from '../../db/src/migrations/2026-12-01T0012-oidc-hashed-ids.js'
import { BrowserAgent } from './helpers/browser-agent.js'
import { fetchJson } from './helpers/browser-client.js'
import { CALLBACK, codeFlow, relyingParty } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const ADA = { email: 'ada@example.com', password: 'analytical engine 1843' }

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('base64url')

/**
 * Security issue, item 3: oidc-provider's codes, access and refresh tokens were stored as their
 * raw values, so anyone who could read the database (a backup, a replica, a leaked dump) could
 * replay them. Rows are keyed by SHA-256 of the value now, and payloads carry no copy of it.
 */
describe.each(DIALECTS)('OAuth storage holds nothing replayable (%s)', (dialect) => {
  let server: TestServer
  let config: client.Configuration

  beforeAll(async () => {
    server = await createTestServer(dialect)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ emailAddress: [ADA.email], password: ADA.password })
    const app = await clerk.oauthApplications.create({
      name: 'Stored',
      redirectUris: [CALLBACK],
      scopes: 'profile email',
    })
    config = await relyingParty(
      app.discoveryUrl,
      app.clientId,
      (app as unknown as { clientSecret: string }).clientSecret,
    )
  })
  afterAll(() => server.close())

  const allRows = () => server.db.db.selectFrom('oidc_models').selectAll().execute()
  const userinfo = (accessToken: string) =>
    fetchJson(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })

  it('after a code flow, a refresh and an introspection, no row contains a code or token', async () => {
    const { tokens, code } = await codeFlow(config, new BrowserAgent(server.url), ADA)
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect((await client.tokenIntrospection(config, refreshed.access_token)).active).toBe(true)
    expect((await userinfo(refreshed.access_token)).status).toBe(200)
    const secrets = [
      code,
      tokens.access_token,
      tokens.refresh_token as string,
      refreshed.access_token,
      refreshed.refresh_token as string,
    ]
    const rows = await allRows()
    expect(rows.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'Grant']),
    )
    for (const row of rows) {
      const text = JSON.stringify(row)
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
    // The rows are there, under the values' hashes; the used code and refresh token are marked.
    const byId = new Map(rows.map((r) => [r.id, r]))
    expect(byId.get(sha256(code))?.consumed_at).toEqual(expect.any(Number))
    expect(byId.get(sha256(tokens.refresh_token as string))?.consumed_at).toEqual(
      expect.any(Number),
    )
    expect(byId.get(sha256(refreshed.access_token))?.kind).toBe('AccessToken')
  })

  it('rows written before the upgrade are re-keyed by the migration and keep working; expired ones go', async () => {
    const { tokens, code } = await codeFlow(config, new BrowserAgent(server.url), ADA)
    const rows = await allRows()
    const grantId = rows.find((r) => r.id === sha256(tokens.access_token))?.grant_id as string
    // Put the rows back the way the previous adapter wrote them: the raw value as the key and,
    // as oidc-provider hands it over, in the payload's `jti`.
    const db = server.db.db
    for (const raw of [code, tokens.access_token, tokens.refresh_token as string, grantId]) {
      const row = rows.find((r) => r.id === sha256(raw))
      if (!row) throw new Error('row not found')
      await db
        .updateTable('oidc_models')
        .set({ id: raw, payload: JSON.stringify({ ...JSON.parse(row.payload), jti: raw }) })
        .where('kind', '=', row.kind)
        .where('id', '=', row.id)
        .execute()
    }
    await db
      .insertInto('oidc_models')
      .values({
        kind: 'AccessToken',
        id: 'an-expired-raw-access-token',
        payload: JSON.stringify({ jti: 'an-expired-raw-access-token', kind: 'AccessToken' }),
        grant_id: null,
        uid: null,
        user_code: null,
        account_id: null,
        client_id: null,
        expires_at: Date.now() - 1000,
        consumed_at: null,
      })
      .execute()
    // The upgrade: the hashing migration runs over them (its own `up`, as the migrator runs
    // it: later migrations exist now, so it cannot be replayed through the migrator).
    await hashingMigration.up(db)

    const after = await allRows()
    for (const row of after) {
      const text = JSON.stringify(row)
      for (const raw of [code, tokens.access_token, tokens.refresh_token as string])
        expect(text).not.toContain(raw)
    }
    expect(after.some((r) => r.id === 'an-expired-raw-access-token')).toBe(false)
    expect((await userinfo(tokens.access_token)).status).toBe(200)
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(refreshed.claims()?.iss).toBe(`${server.url}/oauth`)
    expect((await userinfo(refreshed.access_token)).status).toBe(200)
  })
})
