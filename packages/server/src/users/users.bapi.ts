import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import {
  emailField,
  idParam,
  listResponse,
  metadata,
  nameField,
  pageQuery,
  stringList,
} from '../http/params.js'
import { IMPORT_HASHERS } from '../lib/passwords.js'
import type { UserFilter, UserOrder } from './users.repository.js'

const UserParams = z.object({ user_id: idParam('user') })
const username = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, _ . -')
const externalId = z.string().trim().min(1).max(255)
const password = z.string().max(1024)

const CreateUser = z.strictObject({
  email_address: z.array(emailField).max(20).optional(),
  phone_number: z.array(z.string()).max(0, 'phone numbers are not supported yet').optional(),
  username: username.optional(),
  password: password.optional(),
  password_digest: z.string().min(1).max(1024).optional(),
  password_hasher: z.enum(IMPORT_HASHERS).optional(),
  skip_password_checks: z.boolean().optional(),
  skip_password_requirement: z.boolean().optional(),
  first_name: nameField.nullable().optional(),
  last_name: nameField.nullable().optional(),
  external_id: externalId.nullable().optional(),
  public_metadata: metadata.optional(),
  private_metadata: metadata.optional(),
  unsafe_metadata: metadata.optional(),
  created_at: z.string().optional(),
})

const UpdateUser = z.strictObject({
  username: username.nullable().optional(),
  password: password.optional(),
  password_digest: z.string().min(1).max(1024).optional(),
  password_hasher: z.enum(IMPORT_HASHERS).optional(),
  skip_password_checks: z.boolean().optional(),
  sign_out_of_other_sessions: z.boolean().optional(),
  first_name: nameField.nullable().optional(),
  last_name: nameField.nullable().optional(),
  external_id: externalId.nullable().optional(),
  primary_email_address_id: idParam('idn').optional(),
  public_metadata: metadata.optional(),
  private_metadata: metadata.optional(),
  unsafe_metadata: metadata.optional(),
})

const Metadata = z.strictObject({
  public_metadata: metadata.optional(),
  private_metadata: metadata.optional(),
  unsafe_metadata: metadata.optional(),
})

const ORDER_COLUMNS = [
  'created_at',
  'updated_at',
  'last_sign_in_at',
  'last_active_at',
  'first_name',
  'last_name',
  'username',
] as const
const orderBy = z
  .string()
  .regex(
    new RegExp(`^[+-]?(${ORDER_COLUMNS.join('|')})$`),
    `must be one of ${ORDER_COLUMNS.join(', ')}, optionally prefixed + or -`,
  )
  .default('-created_at')
  .transform((v): UserOrder => {
    const direction = v.startsWith('+') ? 'asc' : 'desc'
    return { column: v.replace(/^[+-]/, '') as UserOrder['column'], direction }
  })

const MAX_QUERY_WORDS = 8

const Filter = {
  email_address: stringList(z.string().max(320)).optional(),
  user_id: stringList(z.string().max(100)).optional(),
  external_id: stringList(z.string().max(255)).optional(),
  username: stringList(z.string().max(64)).optional(),
  // Each word is one more index lookup (a scan, under three characters): a few, not hundreds.
  query: z
    .string()
    .trim()
    .max(256)
    .refine((q) => new Set(q.toLowerCase().split(/\s+/)).size <= MAX_QUERY_WORDS, {
      message: `must be at most ${MAX_QUERY_WORDS} words`,
    })
    .optional(),
}
const ListUsers = z.object({
  ...Filter,
  ...pageQuery(10),
  order_by: orderBy,
})
const CountUsers = z.object(Filter)

function toFilter(q: z.infer<typeof CountUsers>): UserFilter {
  const f: UserFilter = {}
  if (q.email_address) f.emailAddress = q.email_address.map((e) => e.trim().toLowerCase())
  if (q.user_id) f.userId = q.user_id
  if (q.external_id) f.externalId = q.external_id
  if (q.username) f.username = q.username.map((u) => u.trim().toLowerCase())
  if (q.query) f.query = q.query
  return f
}

/** Clerk's Backend API for users (bapi spec: Users). */
export function userRoutes(r: Router): void {
  r.bapi({
    method: 'POST',
    path: '/v1/users',
    body: CreateUser,
    handler: async ({ body, services }) => {
      const user = await services.users.create({
        emailAddress: body.email_address,
        // An operator vouches for the addresses it creates, as in Clerk.
        emailsVerified: true,
        username: body.username,
        password: body.password,
        passwordDigest: body.password_digest,
        passwordHasher: body.password_hasher,
        skipPasswordChecks: body.skip_password_checks,
        firstName: body.first_name,
        lastName: body.last_name,
        externalId: body.external_id,
        publicMetadata: body.public_metadata,
        privateMetadata: body.private_metadata,
        unsafeMetadata: body.unsafe_metadata,
      })
      return services.users.toJSON(user)
    },
  })

  r.bapi({
    method: 'GET',
    path: '/v1/users',
    query: ListUsers,
    handler: async ({ query, services }) => {
      const filter = toFilter(query)
      const rows = await services.users.list(filter, query.order_by, query.limit, query.offset)
      const data = await services.users.toJSONMany(rows)
      return listResponse(data, query.paginated, () => services.users.count(filter))
    },
  })

  r.bapi({
    method: 'GET',
    path: '/v1/users/count',
    query: CountUsers,
    handler: async ({ query, services }) => ({
      object: 'total_count',
      total_count: await services.users.count(toFilter(query)),
    }),
  })

  r.bapi({
    method: 'GET',
    path: '/v1/users/:user_id',
    params: UserParams,
    handler: async ({ params, services }) =>
      services.users.toJSON(await services.users.getById(params.user_id)),
  })

  r.bapi({
    method: 'PATCH',
    path: '/v1/users/:user_id',
    params: UserParams,
    body: UpdateUser,
    handler: async ({ params, body, services }) => {
      const user = await services.users.update(params.user_id, {
        username: body.username,
        password: body.password,
        passwordDigest: body.password_digest,
        passwordHasher: body.password_hasher,
        skipPasswordChecks: body.skip_password_checks,
        signOutOfOtherSessions: body.sign_out_of_other_sessions,
        firstName: body.first_name,
        lastName: body.last_name,
        externalId: body.external_id,
        primaryEmailAddressId: body.primary_email_address_id,
        publicMetadata: body.public_metadata,
        privateMetadata: body.private_metadata,
        unsafeMetadata: body.unsafe_metadata,
      })
      return services.users.toJSON(user)
    },
  })

  r.bapi({
    method: 'PATCH',
    path: '/v1/users/:user_id/metadata',
    params: UserParams,
    body: Metadata,
    handler: async ({ params, body, services }) => {
      const user = await services.users.mergeMetadata(params.user_id, {
        publicMetadata: body.public_metadata,
        privateMetadata: body.private_metadata,
        unsafeMetadata: body.unsafe_metadata,
      })
      return services.users.toJSON(user)
    },
  })

  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id',
    params: UserParams,
    handler: async ({ params, services }) => {
      await services.users.delete(params.user_id)
      return { object: 'user', id: params.user_id, deleted: true }
    },
  })

  for (const [action, flag, value] of [
    ['ban', 'banned', true],
    ['unban', 'banned', false],
    ['lock', 'locked', true],
    ['unlock', 'locked', false],
  ] as const) {
    r.bapi({
      method: 'POST',
      path: `/v1/users/:user_id/${action}`,
      params: UserParams,
      handler: async ({ params, services }) =>
        services.users.toJSON(await services.users.setFlag(params.user_id, flag, value)),
    })
  }

  r.bapi({
    method: 'POST',
    path: '/v1/users/:user_id/verify_password',
    params: UserParams,
    body: z.strictObject({ password: z.string().min(1).max(1024) }),
    handler: async ({ params, body, services }) => {
      if (!(await services.users.verifyPassword(params.user_id, body.password))) {
        throw ApiError.of('form_password_incorrect', { meta: { param_name: 'password' } })
      }
      return { verified: true }
    },
  })
}
