import { newId, type SessionId } from '@latchkey/contracts'
import { type ClientRow, type Database, RowCache, type Write } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import { randomToken, sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './clients.repository.js'

type Q = Kysely<Database> | Transaction<Database>

/** What a client's update may change. */
type ClientState = {
  last_active_session_id?: string | null
  sign_in_id?: string | null
  sign_up_id?: string | null
}

/** A newly created client with its bearer token (shown once, stored hashed). */
export type NewClient = ClientRow & { token: string }

/**
 * A client is one browser (or native app): the holder of the long-lived `__client` token and of
 * one or more sessions.
 */
export class ClientsService {
  private readonly d: ServiceDeps
  /** By token hash: every Frontend API call resolves its client first. */
  readonly #byTokenHash: RowCache<ClientRow>

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#byTokenHash = new RowCache(deps.changes)
  }

  /** The client a bearer token names, or undefined for an unknown or ended one. */
  async resolve(token: string): Promise<ClientRow | undefined> {
    if (token.length === 0 || token.length > 200) return undefined
    const hash = sha256(token)
    return this.#byTokenHash.get(
      hash,
      () => repo.findClientByTokenHash(this.d.db, hash),
      (c) => [`client:${c.id}`],
    )
  }

  /**
   * The client a sign-in or sign-up leaves the browser with, and the token for its cookie: the
   * one it came with under a fresh token, or a new one. `write(state)` is that client's write for
   * the caller's group (`writeAtomically`): an update that also retires the old token, or the new
   * client inserted as it ends up.
   *
   * Anyone can obtain a client token without an account, so a token planted in a victim's browser
   * (a sibling subdomain's cookie, plain HTTP, another port) must not become the victim's session:
   * every sign-in and sign-up that creates a session rotates the token (issue #13 §3). The
   * browser's other sessions carry over with the client. `rotate: false` is for steps that create
   * no session (a sign-in waiting for its first factor).
   */
  owner(
    clientId: string | undefined,
    { rotate }: { rotate: boolean },
  ): {
    id: string
    newToken?: string
    write(state: ClientState): Write
  } {
    if (clientId !== undefined) {
      if (!rotate) return { id: clientId, write: (state) => this.updateWrite(clientId, state) }
      return this.rotated(clientId)
    }
    const { row, token } = this.#newClient()
    return {
      id: row.id,
      newToken: token,
      write: (state) => repo.clientInsert({ ...row, ...state }),
    }
  }

  /** An existing client under a fresh token: `write(state)` also retires the old token. */
  rotated(clientId: string): { id: string; newToken: string; write(state: ClientState): Write } {
    const token = randomToken(32)
    return {
      id: clientId,
      newToken: token,
      write: (state) =>
        repo.clientUpdate(clientId, {
          ...state,
          token_hash: sha256(token),
          updated_at: this.d.clock.now(),
        }),
    }
  }

  /** A new client and its token, not yet written. */
  #newClient(): { row: ClientRow; token: string } {
    const now = this.d.clock.now()
    const token = randomToken(32)
    const row: ClientRow = {
      id: newId('client'),
      token_hash: sha256(token),
      last_active_session_id: null,
      sign_in_id: null,
      sign_up_id: null,
      created_at: now,
      updated_at: now,
    }
    return { row, token }
  }

  async createRow(trx: Q): Promise<NewClient> {
    const { row, token } = this.#newClient()
    await repo.insertClient(trx, row)
    return { ...row, token }
  }

  /** The database, for calls made outside a transaction. */
  get db(): Q {
    return this.d.db
  }

  setLastActiveSession(trx: Q, clientId: string, sessionId: SessionId | null): Promise<void> {
    return this.update(trx, clientId, { last_active_session_id: sessionId })
  }

  /** Which session is active and which sign-in or sign-up is in progress, in one write. */
  async update(trx: Q, clientId: string, patch: ClientState): Promise<void> {
    await repo.updateClient(trx, clientId, { ...patch, updated_at: this.d.clock.now() })
  }

  /** {@link update} as one write of the caller's group (`writeAtomically`). */
  updateWrite(clientId: string, patch: ClientState): Write {
    return repo.clientUpdate(clientId, { ...patch, updated_at: this.d.clock.now() })
  }

  find(id: string): Promise<ClientRow | undefined> {
    return repo.findClient(this.d.db, id)
  }

  /** Signs the client out of every session and forgets it (`DELETE /v1/client`). */
  async destroy(clientId: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('sessions')
        .set({ status: 'ended', updated_at: this.d.clock.now() })
        .where('client_id', '=', clientId)
        .where('status', '=', 'active')
        .execute()
      await repo.updateClient(trx, clientId, {
        last_active_session_id: null,
        sign_in_id: null,
        sign_up_id: null,
        // Rotating the token hash makes the old cookie worthless while keeping the session
        // history (ended sessions still reference this client).
        token_hash: sha256(randomToken(32)),
        updated_at: this.d.clock.now(),
      })
    })
  }

  /** After sessions end, point `last_active_session_id` at a remaining active one, if any. */
  async refreshLastActive(clientId: string): Promise<void> {
    const active = await this.d.services.sessions.activeOfClient(clientId)
    const last = active.at(-1)?.id ?? null
    await repo.updateClient(this.d.db, clientId, {
      last_active_session_id: last,
      updated_at: this.d.clock.now(),
    })
  }
}
