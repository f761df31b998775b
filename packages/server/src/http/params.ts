import { Buffer } from 'node:buffer'
import * as z from 'zod'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js'

/*
 * Schemas shared by route definitions. Form bodies and query strings carry only strings (and
 * arrays of strings for repeated keys); these coerce them the way Clerk's APIs do.
 */

/** A repeated key (`email_address=a&email_address=b`, or `email_address[]=a`) as an array. */
export const stringList = (item: z.ZodString = z.string()) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
    z.array(item).max(100),
  )

/** `true`/`false` from a form or query string, or a real boolean from JSON. */
export const boolish = z.union([z.boolean(), z.stringbool()])

/** An integer from a query string. */
export const intFromString = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

/** A JSON object (metadata). Bounded so a single write cannot grow a row without limit. */
export const metadata = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 8192, 'must serialize to at most 8 KB of JSON')

/**
 * A metadata object that may arrive JSON-encoded in a form field. Its nesting is bounded like a
 * JSON body's (see app.ts), before it is parsed.
 */
export const metadataField = z.preprocess((v, ctx) => {
  if (typeof v !== 'string') return v
  if (jsonNestsDeeperThan(Buffer.from(v, 'utf8'), MAX_JSON_DEPTH)) {
    ctx.addIssue({ code: 'custom', message: `must nest at most ${MAX_JSON_DEPTH} levels` })
    return z.NEVER
  }
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}, metadata)

const isControl = (c: string) => c.charCodeAt(0) < 0x20 || c === '\x7f'
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * A bounded, trimmed single-line name: no control characters (PostgreSQL refuses NUL in text)
 * and no lone surrogates (not valid UTF-8).
 */
export const nameField = z
  .string()
  .trim()
  .max(256)
  .refine((v) => ![...v].some(isControl), 'must not contain control characters')
  .refine((v) => !LONE_SURROGATE.test(v), 'must be valid Unicode text')

/** A username: letters, digits and `_ . -`, at most 64. */
export const usernameField = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, _ . -')

/** An email address (RFC 5322 practical subset, as zod checks it). */
export const emailField = z.string().trim().max(320).pipe(z.email())

const isBlank = (v: unknown) => typeof v === 'string' && v.trim() === ''

/**
 * A form field that reads as absent when blank. Clerk's sign-up form sends every field the
 * instance enables, shown or not, so a field it does not show arrives empty
 * (`username=&first_name=&last_name=`); that is "not given", not an invalid value. Use it only
 * where absent is allowed: a required field that arrives blank then fails as missing.
 */
export const absentIfBlank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (isBlank(v) ? undefined : v), schema.optional())

/**
 * A form field that a blank value clears (stores null): a profile form sends the field the user
 * emptied (`PATCH /v1/me` with `last_name=`).
 */
export const nullIfBlank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (isBlank(v) ? null : v), schema.nullable().optional())

/** A path id with the given prefix. */
export const idParam = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{1,64}$`), `must be an id starting with ${prefix}_`)

/**
 * Clerk's page parameters for list endpoints: `limit` (1–500), `offset`, and `paginated`.
 *
 * @example
 * ```ts
 * const ListThings = z.object({ ...pageQuery(10), status: z.string().optional() })
 * ```
 */
export const pageQuery = (defaultLimit: number) => ({
  limit: intFromString(1, 500).default(defaultLimit),
  offset: intFromString(0, 10_000_000).default(0),
  paginated: boolish.optional(),
})

/**
 * Clerk's list answer: a bare array, or `{ data, total_count }` when `paginated=true` (the count
 * is only queried then).
 */
export async function listResponse<T>(
  data: T[],
  paginated: boolean | undefined,
  count: () => Promise<number>,
) {
  return paginated ? { data, total_count: await count() } : data
}
