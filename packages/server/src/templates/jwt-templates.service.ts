import { ApiError, newId, randomBase62 } from '@latchkey/contracts'
import {
  fromDbBool,
  fromDbJson,
  isUniqueViolation,
  type JwtTemplateRow,
  type SessionRow,
  toDbBool,
} from '@latchkey/db'
import { CompactSigner } from '../lib/jws.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './jwt-templates.repository.js'
import { PRESETS, type PresetName } from './presets.js'
import { type Json, templateProblem } from './shortcodes.js'
import { importSigningKey, type TemplateAlgorithm } from './signing.js'

/** Claims Latchkey sets itself; templates and session claims may not (issue #3). */
export const RESERVED_CLAIMS = [
  'sub',
  'iss',
  'exp',
  'iat',
  'nbf',
  'jti',
  'sid',
  'azp',
  'v',
  'fva',
  'sts',
] as const

/**
 * A template change made through this process applies at once; one made through another process
 * of the same deployment applies within this many milliseconds.
 */
const TEMPLATE_TTL_MS = 5_000

/** Rendered custom claims above this size are refused: tokens travel in headers and cookies. */
export const MAX_CLAIMS_BYTES = 4096

/**
 * The longest a template token may live, in seconds (issue #13 §2). A template token is a bearer
 * credential that outlives a revoked session or a locked user for as long as it lives; a signed-in
 * browser can mint a fresh one at any time, so a day is generous. Clerk allows ten years.
 */
export const MAX_TEMPLATE_LIFETIME = 86_400

/** A new template's token lifetime and `nbf` back-dating, in seconds (Clerk's defaults). */
const DEFAULT_LIFETIME = 60
const DEFAULT_CLOCK_SKEW = 5

type Claims = { [key: string]: Json }

export type TemplateInput = {
  name?: string | undefined
  claims?: { [key: string]: Json } | undefined
  lifetime?: number | undefined
  allowedClockSkew?: number | undefined
  customSigningKey?: boolean | undefined
  signingAlgorithm?: TemplateAlgorithm | undefined
  signingKey?: string | undefined
}

/** Refuses a claims object that is malformed, too large or sets a reserved claim. */
export function assertClaimsAllowed(claims: unknown): asserts claims is { [key: string]: Json } {
  const problem = templateProblem(claims)
  if (problem)
    throw ApiError.of('form_param_format_invalid', {
      longMessage: `claims ${problem}.`,
      meta: { param_name: 'claims' },
    })
  const reserved = Object.keys(claims as object).filter((k) =>
    (RESERVED_CLAIMS as readonly string[]).includes(k),
  )
  if (reserved.length > 0) {
    throw ApiError.of('reserved_claim', {
      longMessage: `The claims ${reserved.join(', ')} are reserved and set by Latchkey.`,
      meta: { param_name: 'claims' },
    })
  }
}

export class JwtTemplatesService {
  private readonly d: ServiceDeps
  readonly #signers = new Map<string, { updatedAt: number; signer: CompactSigner }>()
  /** Templates by name, read at most every TEMPLATE_TTL_MS per process (minting is hot). */
  readonly #byName = new Map<string, { row: JwtTemplateRow | undefined; readAt: number }>()

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  toJSON(t: JwtTemplateRow) {
    return {
      object: 'jwt_template' as const,
      id: t.id,
      name: t.name,
      claims: fromDbJson(t.claims),
      lifetime: t.lifetime,
      allowed_clock_skew: t.allowed_clock_skew,
      custom_signing_key: fromDbBool(t.custom_signing_key),
      signing_algorithm: t.signing_algorithm,
      created_at: t.created_at,
      updated_at: t.updated_at,
    }
  }

  async get(id: string): Promise<JwtTemplateRow> {
    const t = await repo.findTemplate(this.d.db, id)
    if (!t)
      throw ApiError.of('resource_not_found', {
        longMessage: `No JWT template was found with id ${id}.`,
      })
    return t
  }

  list(limit: number, offset: number) {
    return repo.listTemplates(this.d.db, limit, offset)
  }

  count() {
    return repo.countTemplates(this.d.db)
  }

  async create(input: TemplateInput): Promise<JwtTemplateRow> {
    if (!input.name) throw ApiError.of('form_param_missing', { meta: { param_name: 'name' } })
    if (!input.claims) throw ApiError.of('form_param_missing', { meta: { param_name: 'claims' } })
    assertClaimsAllowed(input.claims)
    const id = newId('jwtTemplate')
    const now = this.d.clock.now()
    const row: JwtTemplateRow = {
      id,
      name: input.name,
      claims: JSON.stringify(input.claims),
      lifetime: input.lifetime ?? DEFAULT_LIFETIME,
      allowed_clock_skew: input.allowedClockSkew ?? DEFAULT_CLOCK_SKEW,
      ...this.signingColumns(id, input, undefined),
      created_at: now,
      updated_at: now,
    }
    await this.write(() => repo.insertTemplate(this.d.db, row))
    return row
  }

  /** Creates a template from a preset (Clerk's exact claims), e.g. `convex`. */
  createPreset(preset: PresetName): Promise<JwtTemplateRow> {
    const p = PRESETS[preset]
    return this.create({ name: p.name, claims: p.claims })
  }

  async update(id: string, input: TemplateInput): Promise<JwtTemplateRow> {
    const current = await this.get(id)
    if (input.claims !== undefined) assertClaimsAllowed(input.claims)
    const signingChanged =
      input.customSigningKey !== undefined ||
      input.signingAlgorithm !== undefined ||
      input.signingKey !== undefined
    const patch = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.claims !== undefined ? { claims: JSON.stringify(input.claims) } : {}),
      ...(input.lifetime !== undefined ? { lifetime: input.lifetime } : {}),
      ...(input.allowedClockSkew !== undefined
        ? { allowed_clock_skew: input.allowedClockSkew }
        : {}),
      ...(signingChanged ? this.signingColumns(id, input, current) : {}),
      updated_at: Math.max(this.d.clock.now(), current.updated_at + 1),
    }
    await this.write(() => repo.updateTemplate(this.d.db, id, patch))
    return this.get(id)
  }

  /** Runs a write; a taken name is a field error, and this process forgets cached templates. */
  private async write(op: () => Promise<void>): Promise<void> {
    try {
      await op()
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw ApiError.of('jwt_template_name_exists', {
          meta: { param_name: 'name' },
          cause: error,
        })
      }
      throw error
    } finally {
      this.#byName.clear()
    }
  }

  async delete(id: string): Promise<void> {
    if (!(await repo.deleteTemplate(this.d.db, id))) {
      throw ApiError.of('resource_not_found', {
        longMessage: `No JWT template was found with id ${id}.`,
      })
    }
    this.#signers.delete(id)
    this.#byName.clear()
  }

  /** Validates and seals custom signing material; without it, templates use the instance key. */
  private signingColumns(id: string, input: TemplateInput, current: JwtTemplateRow | undefined) {
    const custom =
      input.customSigningKey ?? (current ? fromDbBool(current.custom_signing_key) : false)
    if (!custom) {
      if (input.signingAlgorithm !== undefined && input.signingAlgorithm !== 'RS256') {
        throw ApiError.of('form_param_value_invalid', {
          longMessage: 'Without custom_signing_key, templates sign with the instance RS256 key.',
          meta: { param_name: 'signing_algorithm' },
        })
      }
      return {
        custom_signing_key: toDbBool(false),
        signing_algorithm: 'RS256',
        signing_key_enc: null,
      }
    }
    const alg =
      input.signingAlgorithm ?? (current?.signing_algorithm as TemplateAlgorithm | undefined)
    if (!alg) throw ApiError.of('form_param_missing', { meta: { param_name: 'signing_algorithm' } })
    if (input.signingKey === undefined)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'signing_key' } })
    importSigningKey(alg, input.signingKey)
    return {
      custom_signing_key: toDbBool(true),
      signing_algorithm: alg,
      signing_key_enc: this.d.box.seal(input.signingKey, `jwt_template:${id}`),
    }
  }

  private async findByName(name: string): Promise<JwtTemplateRow | undefined> {
    const now = this.d.clock.now()
    const hit = this.#byName.get(name)
    if (hit && now - hit.readAt < TEMPLATE_TTL_MS) return hit.row
    const row = await repo.findTemplateByName(this.d.db, name)
    if (this.#byName.size > 1000) this.#byName.clear()
    this.#byName.set(name, { row, readAt: now })
    return row
  }

  /** The template's own signer, unsealed once per template version. */
  private signer(t: JwtTemplateRow): CompactSigner {
    const cached = this.#signers.get(t.id)
    if (cached && cached.updatedAt === t.updated_at) return cached.signer
    if (!t.signing_key_enc) throw new Error(`template ${t.id} has no signing key`)
    const alg = t.signing_algorithm as TemplateAlgorithm
    const material = importSigningKey(
      alg,
      this.d.box.open(t.signing_key_enc, `jwt_template:${t.id}`),
    )
    const signer = new CompactSigner(alg, material)
    this.#signers.set(t.id, { updatedAt: t.updated_at, signer })
    return signer
  }

  /**
   * Mints a template token for a usable session: `azp exp iat iss jti nbf sub` plus the rendered
   * claims, living `lifetime` seconds, `nbf` back-dated by `allowed_clock_skew`.
   */
  async mint(
    session: SessionRow,
    templateName: string,
    origin: string | undefined,
  ): Promise<string> {
    const t = await this.findByName(templateName)
    if (!t)
      throw ApiError.of('jwt_template_not_found', {
        longMessage: `No JWT template exists with name ${templateName}.`,
      })
    const claims = await this.payload(session, fromDbJson(t.claims) as Claims, t, origin)
    if (!fromDbBool(t.custom_signing_key)) return this.d.services.keys.sign(claims)
    return this.signer(t).sign(claims)
  }

  /**
   * What a token of a template with these claims and times would carry for `session`: the
   * payload, unsigned and unrecorded (the dashboard's live preview of an unsaved template).
   */
  preview(
    session: SessionRow,
    claims: Claims,
    times: { lifetime?: number | undefined; allowedClockSkew?: number | undefined },
  ): Promise<Claims> {
    return this.payload(
      session,
      claims,
      {
        lifetime: times.lifetime ?? DEFAULT_LIFETIME,
        allowed_clock_skew: times.allowedClockSkew ?? DEFAULT_CLOCK_SKEW,
      },
      undefined,
    )
  }

  private async payload(
    session: SessionRow,
    template: Claims,
    t: Pick<JwtTemplateRow, 'lifetime' | 'allowed_clock_skew'>,
    origin: string | undefined,
  ): Promise<Claims> {
    const rendered = await this.d.services.sessionTokens.renderFor(session, template)
    const iat = Math.floor(this.d.clock.now() / 1000)
    return {
      ...rendered,
      ...(origin ? { azp: origin } : {}),
      exp: iat + t.lifetime,
      iat,
      iss: this.d.config.url,
      jti: randomBase62(20),
      nbf: iat - t.allowed_clock_skew,
      sub: session.user_id,
    }
  }
}

/** Names of presets, for routes and the CLI. */
export { PRESET_NAMES } from './presets.js'
