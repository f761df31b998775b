import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import { idParam } from '../http/params.js'
import type { Services } from '../services.js'

/** Which of the browser's sessions a `/v1/me` call acts as (Clerk's `_clerk_session_id`). */
export const Acting = z.object({ _clerk_session_id: idParam('sess').optional() })

/** The acting session: the one named, or the client's last active one; it must be usable. */
export async function actingSession(
  services: Services,
  client: { id: string; last_active_session_id: string | null } | undefined,
  sessionId: string | undefined,
) {
  if (!client) throw ApiError.of('signed_out')
  const id = sessionId ?? client.last_active_session_id
  if (!id) throw ApiError.of('signed_out')
  try {
    return await services.sessions.getUsable(id, client.id)
  } catch (error) {
    // The client's last session is gone (its user was deleted): the browser is signed out.
    if (sessionId === undefined && error instanceof ApiError && error.code === 'resource_not_found')
      throw ApiError.of('signed_out')
    throw error
  }
}
