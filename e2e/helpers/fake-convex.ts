import { createServer, type Server } from 'node:http'
import { WebSocketServer } from 'ws'

/** A little-endian u64 as Convex's protocol encodes timestamps: base64 of 8 bytes. */
const u64 = (n: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b.toString('base64')
}

export type FakeConvex = {
  url: string
  /** The identity tokens the client authenticated with, in order. */
  tokens: string[]
  close(): Promise<void>
}

/**
 * The smallest Convex deployment that confirms authentication: it accepts the sync WebSocket,
 * records each `Authenticate` token, and answers it with the `Transition` that moves the
 * identity version forward — which is what makes Convex's client refetch its token with
 * `forceRefreshToken: true`. It does not verify the token (the test does, with our JWKS), and it
 * serves no queries.
 */
export async function startFakeConvex(port: number): Promise<FakeConvex> {
  const tokens: string[] = []
  const http: Server = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (socket) => {
    let identity = 0
    let ts = 0
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; value?: string }
      if (message.type !== 'Authenticate') return
      if (message.value) tokens.push(message.value)
      socket.send(
        JSON.stringify({
          type: 'Transition',
          startVersion: { querySet: 0, identity, ts: u64(ts) },
          endVersion: { querySet: 0, identity: identity + 1, ts: u64(ts + 1) },
          modifications: [],
        }),
      )
      identity++
      ts++
    })
  })
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      await new Promise((r) => wss.close(r))
      await new Promise((r) => http.close(r))
    },
  }
}
