import { Buffer } from 'node:buffer'
import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { Router } from '../http/define-route.js'
import type { Services } from '../services.js'
import { Acting, actingSession } from '../users/acting-session.js'
import { MAX_PROFILE_IMAGE_BYTES } from './profile-images.service.js'

/** Room for the multipart framing (boundaries, part headers) around the largest image. */
const UPLOAD_BODY_LIMIT = MAX_PROFILE_IMAGE_BYTES + 64 * 1024

type Upload = { file: Uint8Array; name?: string | undefined }

/**
 * Clerk's `setProfileImage({ file })` (clerk-js `Image.create`): a `File` or `Blob` goes as
 * `multipart/form-data` with one part named `file`; a string goes as the body of an
 * `application/octet-stream` request, base64 (fapi spec `updateProfileImage`), which may be a
 * `data:` URL.
 */
async function parseMultipart(req: FastifyRequest, body: Buffer): Promise<Upload> {
  const type = req.headers['content-type'] ?? ''
  let form: FormData
  try {
    form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': type },
    }).formData()
  } catch (error) {
    throw ApiError.of('request_body_invalid', {
      longMessage: 'Malformed multipart body.',
      cause: error,
    })
  }
  const file = form.get('file')
  if (file === null) throw ApiError.of('form_param_missing', { meta: { param_name: 'file' } })
  if (typeof file === 'string') return { file: decodeBase64Upload(file) }
  return { file: new Uint8Array(await file.arrayBuffer()), name: file.name || undefined }
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/

function decodeBase64Upload(text: string): Uint8Array {
  const payload = text.trim().replace(/^data:[\w/+.-]*;base64,/, '')
  if (!BASE64.test(payload)) {
    throw ApiError.of('form_param_format_invalid', {
      longMessage: 'The image must be sent as a file or as base64.',
      meta: { param_name: 'file' },
    })
  }
  return new Uint8Array(Buffer.from(payload, 'base64'))
}

const UploadBody = z.object({
  file: z.instanceof(Uint8Array),
  name: z.string().max(256).optional(),
})

/**
 * `POST /v1/me/profile_image` and `DELETE /v1/me/profile_image`, in their own scope: only these
 * routes read multipart and octet-stream bodies, with a limit sized for an image.
 */
export async function profileImageRoutes(
  app: FastifyInstance,
  services: Services,
  config: Config,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT },
      (req: FastifyRequest, body: Buffer) => parseMultipart(req, body),
    )
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT },
      async (_req: FastifyRequest, body: Buffer) => ({
        file: decodeBase64Upload(body.toString('latin1')),
      }),
    )
    const r = new Router(scope, services, config)
    r.fapi({
      method: 'POST',
      path: '/v1/me/profile_image',
      query: Acting,
      body: UploadBody,
      handler: async ({ query, body, client, services }) => {
        const s = await actingSession(services, client, query._clerk_session_id)
        return { response: await services.images.upload(s.user_id, body.file, body.name) }
      },
    })
    r.fapi({
      method: 'DELETE',
      path: '/v1/me/profile_image',
      query: Acting,
      handler: async ({ query, client, services }) => {
        const s = await actingSession(services, client, query._clerk_session_id)
        await services.images.remove(s.user_id)
        return { response: { object: 'image', deleted: true } }
      },
    })
  })
}
