import { startReceiver } from './receiver.js'

/*
 * Run it: LATCHKEY_WEBHOOK_SECRET=whsec_… PORT=4100 npm run example:webhooks
 * then add http://127.0.0.1:4100/webhooks as an endpoint (a Latchkey started with
 * LATCHKEY_OUTBOUND_ALLOW_PRIVATE=on, as on a development machine).
 */
const secret = process.env.LATCHKEY_WEBHOOK_SECRET
if (!secret?.startsWith('whsec_')) {
  console.error('Set LATCHKEY_WEBHOOK_SECRET to the endpoint’s whsec_… secret.')
  process.exit(2)
}
const receiver = startReceiver({
  secret,
  database: process.env.RECEIVER_DATABASE ?? './receiver.db',
  port: Number(process.env.PORT ?? 4100),
})
console.log(`Receiving webhooks at ${await receiver.url}`)
