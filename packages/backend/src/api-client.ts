/*
 * A typed Backend API client with the method names of Clerk's `clerkClient` (`users.getUser`,
 * `sessions.revokeSession`, …), so server code moves over by changing the import. Results are
 * camelCased like Clerk's; metadata objects keep their keys exactly as stored.
 */

type CamelKey<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelKey<T>>}`
  : S

/** A wire object with its keys camelCased, except inside `*_metadata` and `claims`. */
export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends object
    ? {
        [K in keyof T as K extends string ? CamelKey<K> : K]: K extends
          | `${string}metadata`
          | 'claims'
          ? T[K]
          : Camelize<T[K]>
      }
    : T

type JsonObject = { [key: string]: unknown }

/* Wire shapes (snake_case), as the server answers. */
type EmailAddressJSON = {
  id: string
  object: 'email_address'
  email_address: string
  verification: { status: string; strategy: string } | null
  created_at: number
  updated_at: number
}
type UserJSON = {
  id: string
  object: 'user'
  username: string | null
  first_name: string | null
  last_name: string | null
  image_url: string
  has_image: boolean
  primary_email_address_id: string | null
  password_enabled: boolean
  email_addresses: EmailAddressJSON[]
  public_metadata: JsonObject
  private_metadata: JsonObject
  unsafe_metadata: JsonObject
  external_id: string | null
  last_sign_in_at: number | null
  last_active_at: number | null
  banned: boolean
  locked: boolean
  lockout_expires_in_seconds: number | null
  verification_attempts_remaining: number
  created_at: number
  updated_at: number
}
type SessionJSON = {
  id: string
  object: 'session'
  client_id: string
  user_id: string
  status: 'active' | 'revoked' | 'ended' | 'expired' | 'removed' | 'abandoned'
  last_active_at: number
  expire_at: number
  abandon_at: number
  created_at: number
  updated_at: number
}
type JwtTemplateJSON = {
  id: string
  object: 'jwt_template'
  name: string
  claims: JsonObject
  lifetime: number
  allowed_clock_skew: number
  custom_signing_key: boolean
  signing_algorithm: string
  created_at: number
  updated_at: number
}
type OAuthApplicationJSON = {
  id: string
  object: 'oauth_application'
  instance_id: string
  name: string
  client_id: string
  client_secret?: string
  public: boolean
  pkce_required: boolean
  consent_screen_enabled: boolean
  dynamically_registered: boolean
  scopes: string
  redirect_uris: string[]
  callback_url: string
  authorize_url: string
  token_fetch_url: string
  user_info_url: string
  discovery_url: string
  token_introspection_url: string
  created_at: number
  updated_at: number
}
type DeletedObjectJSON = { object: string; id: string; deleted: true }

export type User = Camelize<UserJSON>
export type EmailAddress = Camelize<EmailAddressJSON>
export type Session = Camelize<SessionJSON>
export type JwtTemplate = Camelize<JwtTemplateJSON>
export type OAuthApplication = Camelize<OAuthApplicationJSON>
export type DeletedObject = Camelize<DeletedObjectJSON>
/** Clerk's paginated answer: `{ data, totalCount }`. */
export type Paginated<T> = { data: T[]; totalCount: number }

/** One entry of a Backend API error, camelCased. */
export type ApiErrorEntry = {
  code: string
  message: string
  longMessage: string
  meta: { paramName?: string; [key: string]: unknown }
}

/** A refused Backend API call: the HTTP status and Clerk's error entries. */
export class LatchkeyAPIResponseError extends Error {
  readonly status: number
  readonly errors: ApiErrorEntry[]
  readonly clerkTraceId: string | undefined

  constructor(status: number, errors: ApiErrorEntry[], traceId: string | undefined) {
    super(errors[0]?.longMessage ?? `Backend API answered ${status}`)
    this.name = 'LatchkeyAPIResponseError'
    this.status = status
    this.errors = errors
    this.clerkTraceId = traceId
  }
}

const camelKey = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
const snakeKey = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const opaque = (key: string) => key.endsWith('metadata') || key === 'claims'

function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [camelKey(k), opaque(k) ? v : camelize(v)]),
  )
}

function snakeize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeize)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        const key = snakeKey(k)
        return [key, opaque(key) ? v : snakeize(v)]
      }),
  )
}

function query(params: object): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue
    for (const item of Array.isArray(v) ? v : [v]) q.append(snakeKey(k), String(item))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

export type ClientOptions = {
  /** A Backend API secret key (`sk_live_…`). */
  secretKey: string
  /** The Latchkey server, e.g. `http://localhost:4000`. */
  apiUrl: string
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch
}

type Page = { limit?: number; offset?: number }
type WithSign<T extends string> = T | `+${T}` | `-${T}`

export type CreateUserParams = {
  emailAddress?: string[]
  password?: string
  passwordDigest?: string
  passwordHasher?: 'bcrypt' | 'argon2i' | 'argon2id' | 'scrypt_firebase' | 'pbkdf2_sha256'
  skipPasswordChecks?: boolean
  username?: string
  firstName?: string
  lastName?: string
  externalId?: string
  publicMetadata?: JsonObject
  privateMetadata?: JsonObject
  unsafeMetadata?: JsonObject
}
export type UpdateUserParams = Omit<CreateUserParams, 'emailAddress'> & {
  primaryEmailAddressId?: string
  signOutOfOtherSessions?: boolean
}
export type UserListParams = Page & {
  emailAddress?: string[]
  userId?: string[]
  externalId?: string[]
  username?: string[]
  query?: string
  orderBy?: WithSign<
    | 'created_at'
    | 'updated_at'
    | 'last_sign_in_at'
    | 'last_active_at'
    | 'first_name'
    | 'last_name'
    | 'username'
  >
}
export type JwtTemplateParams = {
  name: string
  claims: JsonObject
  lifetime?: number
  allowedClockSkew?: number
  customSigningKey?: boolean
  signingAlgorithm?: string
  signingKey?: string
}
export type OAuthApplicationParams = {
  name: string
  redirectUris?: string[]
  scopes?: string
  public?: boolean
  pkceRequired?: boolean
  consentScreenEnabled?: boolean
}

/**
 * The Backend API, typed.
 *
 * @example
 * ```ts
 * const latchkey = createLatchkeyClient({ secretKey: process.env.LATCHKEY_SECRET_KEY!, apiUrl })
 * const user = await latchkey.users.getUser('user_…')
 * ```
 */
export function createLatchkeyClient(opts: ClientOptions) {
  const base = opts.apiUrl.replace(/\/$/, '')
  const doFetch = opts.fetch ?? fetch

  async function call<T>(method: string, path: string, body?: object): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.secretKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(snakeize(body)) } : {}),
    })
    const text = await res.text()
    const json: unknown = text ? JSON.parse(text) : undefined
    if (!res.ok) {
      const wire = (json ?? {}) as { errors?: unknown[]; clerk_trace_id?: string }
      throw new LatchkeyAPIResponseError(
        res.status,
        (camelize(wire.errors ?? []) as ApiErrorEntry[]) ?? [],
        wire.clerk_trace_id,
      )
    }
    return camelize(json) as T
  }
  const paginated = <T>(path: string): Promise<Paginated<T>> => call<Paginated<T>>('GET', path)
  const id = encodeURIComponent

  return {
    users: {
      getUserList: (p: UserListParams = {}) =>
        paginated<User>(`/v1/users${query({ ...p, paginated: true })}`),
      getCount: (p: Omit<UserListParams, 'limit' | 'offset' | 'orderBy'> = {}) =>
        call<{ totalCount: number }>('GET', `/v1/users/count${query(p)}`).then((r) => r.totalCount),
      getUser: (userId: string) => call<User>('GET', `/v1/users/${id(userId)}`),
      createUser: (p: CreateUserParams) => call<User>('POST', '/v1/users', p),
      updateUser: (userId: string, p: UpdateUserParams) =>
        call<User>('PATCH', `/v1/users/${id(userId)}`, p),
      updateUserMetadata: (
        userId: string,
        p: Pick<CreateUserParams, 'publicMetadata' | 'privateMetadata' | 'unsafeMetadata'>,
      ) => call<User>('PATCH', `/v1/users/${id(userId)}/metadata`, p),
      deleteUser: (userId: string) => call<DeletedObject>('DELETE', `/v1/users/${id(userId)}`),
      banUser: (userId: string) => call<User>('POST', `/v1/users/${id(userId)}/ban`),
      unbanUser: (userId: string) => call<User>('POST', `/v1/users/${id(userId)}/unban`),
      lockUser: (userId: string) => call<User>('POST', `/v1/users/${id(userId)}/lock`),
      unlockUser: (userId: string) => call<User>('POST', `/v1/users/${id(userId)}/unlock`),
      verifyPassword: (p: { userId: string; password: string }) =>
        call<{ verified: true }>('POST', `/v1/users/${id(p.userId)}/verify_password`, {
          password: p.password,
        }),
    },
    sessions: {
      getSessionList: (p: Page & { userId?: string; clientId?: string; status?: string } = {}) =>
        paginated<Session>(`/v1/sessions${query({ ...p, paginated: true })}`),
      getSession: (sessionId: string) => call<Session>('GET', `/v1/sessions/${id(sessionId)}`),
      createSession: (p: { userId: string }) => call<Session>('POST', '/v1/sessions', p),
      revokeSession: (sessionId: string) =>
        call<Session>('POST', `/v1/sessions/${id(sessionId)}/revoke`),
      /** A session token, or a JWT template's token when `template` is given. */
      getToken: (sessionId: string, template?: string, expiresInSeconds?: number) =>
        call<{ object: 'token'; jwt: string }>(
          'POST',
          `/v1/sessions/${id(sessionId)}/tokens${template ? `/${id(template)}` : ''}`,
          expiresInSeconds ? { expiresInSeconds } : {},
        ),
    },
    jwtTemplates: {
      list: (p: Page = {}) =>
        paginated<JwtTemplate>(`/v1/jwt_templates${query({ ...p, paginated: true })}`),
      get: (templateId: string) => call<JwtTemplate>('GET', `/v1/jwt_templates/${id(templateId)}`),
      create: (p: JwtTemplateParams) => call<JwtTemplate>('POST', '/v1/jwt_templates', p),
      update: (p: Partial<JwtTemplateParams> & { templateId: string }) => {
        const { templateId, ...rest } = p
        return call<JwtTemplate>('PATCH', `/v1/jwt_templates/${id(templateId)}`, rest)
      },
      delete: (templateId: string) =>
        call<DeletedObject>('DELETE', `/v1/jwt_templates/${id(templateId)}`),
    },
    oauthApplications: {
      list: (p: Page & { nameQuery?: string; orderBy?: WithSign<'name' | 'created_at'> } = {}) =>
        paginated<OAuthApplication>(`/v1/oauth_applications${query(p)}`),
      get: (applicationId: string) =>
        call<OAuthApplication>('GET', `/v1/oauth_applications/${id(applicationId)}`),
      create: (p: OAuthApplicationParams) =>
        call<OAuthApplication>('POST', '/v1/oauth_applications', p),
      update: (p: Partial<OAuthApplicationParams> & { oauthApplicationId: string }) => {
        const { oauthApplicationId, ...rest } = p
        return call<OAuthApplication>(
          'PATCH',
          `/v1/oauth_applications/${id(oauthApplicationId)}`,
          rest,
        )
      },
      delete: (applicationId: string) =>
        call<DeletedObject>('DELETE', `/v1/oauth_applications/${id(applicationId)}`),
      rotateSecret: (applicationId: string) =>
        call<OAuthApplication>('POST', `/v1/oauth_applications/${id(applicationId)}/rotate_secret`),
    },
    instance: {
      get: () => call<{ id: string; allowedOrigins: string[] }>('GET', '/v1/instance'),
      update: (p: { allowedOrigins?: string[] }) => call<void>('PATCH', '/v1/instance', p),
    },
    jwks: {
      getJwks: () => call<{ keys: JsonObject[] }>('GET', '/v1/jwks'),
    },
  }
}

export type LatchkeyClient = ReturnType<typeof createLatchkeyClient>
