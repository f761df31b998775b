import cluster from 'node:cluster'
import Fastify from 'fastify'

/* The bare-Fastify JSON ceiling: the same framework and worker count, no application work. */
const port = Number(process.env.PORT ?? 4999)
const workers = Number(process.env.WORKERS ?? 1)

if (cluster.isPrimary && workers > 1) {
  let up = 0
  for (let i = 0; i < workers; i++) {
    cluster.fork().once('listening', () => {
      if (++up === workers) process.stdout.write('ready\n')
    })
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    process.exit(0)
  })
} else {
  const app = Fastify()
  app.post('/json', async () => ({ object: 'token', jwt: 'x'.repeat(600) }))
  await app.listen({ port, host: '127.0.0.1' })
  if (cluster.isPrimary) process.stdout.write('ready\n')
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
}
