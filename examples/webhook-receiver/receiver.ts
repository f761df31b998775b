import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import { Webhook } from 'svix'

/** The part of Clerk's (and Latchkey's) Backend API `user` this app keeps. */
type User = {
  id: string
  first_name: string | null
  last_name: string | null
  primary_email_address_id: string | null
  email_addresses: { id: string; email_address: string }[]
  updated_at: number
}

type Event = { type: string; data: User | { id: string; deleted: true }; timestamp: number }

/**
 * An app's webhook endpoint that keeps its own `users` table in sync with Latchkey (or Clerk):
 * it verifies every request with `svix`'s `Webhook.verify` (400 when the signature, the
 * timestamp or the body does not check out), skips a message it has seen (`svix-id`: delivery is
 * at least once), and upserts users. Ordering is not promised, so an older `user.updated`
 * never overwrites a newer one (`updated_at`), and a deleted user stays deleted.
 */
export function startReceiver(opts: { secret: string; database: string; port?: number }) {
  const db = new Database(opts.database)
  db.pragma('journal_mode = WAL')
  db.exec(`
    create table if not exists users (
      id text primary key, email text, first_name text, last_name text,
      updated_at integer not null, deleted integer not null default 0
    );
    create table if not exists webhook_messages (svix_id text primary key, received_at integer);
  `)
  const seen = db.prepare('insert or ignore into webhook_messages values (?, ?)')
  const upsert = db.prepare(`
    insert into users (id, email, first_name, last_name, updated_at) values (?, ?, ?, ?, ?)
    on conflict (id) do update set email = excluded.email, first_name = excluded.first_name,
      last_name = excluded.last_name, updated_at = excluded.updated_at
    where excluded.updated_at >= users.updated_at and users.deleted = 0`)
  const remove = db.prepare(`
    insert into users (id, updated_at, deleted) values (?, ?, 1)
    on conflict (id) do update set deleted = 1, email = null, first_name = null, last_name = null`)
  const wh = new Webhook(opts.secret)

  const handle = db.transaction((id: string, event: Event) => {
    if (seen.run(id, Date.now()).changes === 0) return
    if (event.type === 'user.deleted') remove.run(event.data.id, event.timestamp)
    else if (event.type === 'user.created' || event.type === 'user.updated') {
      const u = event.data as User
      const email = u.email_addresses.find((e) => e.id === u.primary_email_address_id)
      upsert.run(u.id, email?.email_address ?? null, u.first_name, u.last_name, u.updated_at)
    }
  })

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let event: Event
      try {
        // The raw body, exactly as received: a re-serialized one would not verify. (svix 2
        // throws when it does not verify and returns nothing: the event is the body.)
        wh.verify(body, {
          'svix-id': String(req.headers['svix-id'] ?? ''),
          'svix-timestamp': String(req.headers['svix-timestamp'] ?? ''),
          'svix-signature': String(req.headers['svix-signature'] ?? ''),
        })
        event = JSON.parse(body) as Event
      } catch {
        res.writeHead(400).end('invalid signature')
        return
      }
      handle(String(req.headers['svix-id']), event)
      res.writeHead(204).end()
    })
  })
  const listening = new Promise<string>((resolve) =>
    server.listen(opts.port ?? 0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`),
    ),
  )
  return {
    url: listening,
    users: () =>
      db.prepare('select id, email, first_name, last_name, deleted from users order by id').all(),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      db.close()
    },
  }
}
