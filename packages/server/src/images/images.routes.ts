import { Buffer } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.js'
import { DEFAULT_AVATAR_PATH } from './image-urls.js'

/** A neutral head-and-shoulders silhouette: the avatar of every user without an image. */
const DEFAULT_AVATAR = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128">` +
    `<rect width="128" height="128" fill="#d6d9de"/>` +
    `<circle cx="64" cy="50" r="24" fill="#f4f5f7"/>` +
    `<path d="M20 128c4-26 22-40 44-40s40 14 44 40z" fill="#f4f5f7"/></svg>`,
  'utf8',
)

const IMAGE_ID = /^img_[0-9A-Za-z]{1,64}$/

/**
 * Users' images, from any process (the bytes are in the database). An uploaded image's URL
 * names its id, which changes with every upload, so it is cached for a year; a removed or
 * unknown one is a 404. The content type is the one sniffed from the bytes at upload, and
 * `nosniff` (every response's) keeps browsers to it.
 */
export function imageRoutes(app: FastifyInstance, services: Services): void {
  app.get(DEFAULT_AVATAR_PATH, (_req, reply) =>
    reply
      .header('content-type', 'image/svg+xml')
      .header('cache-control', 'public, max-age=86400')
      .send(DEFAULT_AVATAR),
  )
  app.get<{ Params: { image_id: string } }>('/images/:image_id', async (req, reply) => {
    const id = req.params.image_id
    const image = IMAGE_ID.test(id) ? await services.images.find(id) : undefined
    if (!image) {
      return reply
        .code(404)
        .header('cache-control', 'no-store')
        .header('content-type', 'text/plain; charset=utf-8')
        .send('Not found')
    }
    return reply
      .header('content-type', image.content_type)
      .header('content-length', String(image.byte_size))
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', `"${image.id}"`)
      .send(Buffer.from(image.data))
  })
}
