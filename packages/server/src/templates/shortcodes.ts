/*
 * Clerk's JWT template shortcodes (DESIGN.md §2), evaluated over data only:
 *
 * - a string that is exactly one `{{…}}` keeps the JSON type of its value;
 * - shortcodes inside a longer string interpolate as text (null → "null", objects as JSON);
 * - `{{a || b || 'literal'}}` yields the first truthy operand (else the last one);
 * - operands are dotted paths (`user.public_metadata.plan`) or string, number, boolean and null
 *   literals; an unknown path yields null.
 *
 * No code runs: expressions are split and matched with linear-time patterns, paths walk own
 * properties only (so `__proto__` and `constructor` read as null), and the work is bounded by the
 * template's size, which is capped when a template is saved (see MAX_TEMPLATE_BYTES).
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** The data shortcodes read: `{ user: {...}, session: {...}, org: {...} }`. */
export type ShortcodeContext = { readonly [root: string]: Json | undefined }

/** Templates above these limits are refused when saved. */
export const MAX_TEMPLATE_BYTES = 8192
export const MAX_TEMPLATE_DEPTH = 8

const SHORTCODE = /\{\{([^{}]*)\}\}/g
const WHOLE = /^\s*\{\{([^{}]*)\}\}\s*$/
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/

function isRecord(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The value at a dotted path, reading own properties only; null when absent. */
function lookup(ctx: ShortcodeContext, path: string): Json {
  let cur: Json | undefined = null
  const parts = path.split('.')
  const [root, ...rest] = parts
  if (root === undefined || !Object.hasOwn(ctx, root)) return null
  cur = ctx[root] ?? null
  for (const key of rest) {
    if (!isRecord(cur) || !Object.hasOwn(cur, key)) return null
    cur = cur[key] ?? null
  }
  return cur ?? null
}

function literal(token: string): { ok: true; value: Json } | { ok: false } {
  if (token.length >= 2) {
    const q = token[0]
    if ((q === "'" || q === '"') && token.at(-1) === q)
      return { ok: true, value: token.slice(1, -1) }
  }
  if (token === 'true') return { ok: true, value: true }
  if (token === 'false') return { ok: true, value: false }
  if (token === 'null') return { ok: true, value: null }
  if (NUMBER.test(token)) return { ok: true, value: Number(token) }
  return { ok: false }
}

function truthy(v: Json): boolean {
  if (v === null || v === false || v === 0 || v === '') return false
  return !(typeof v === 'number' && Number.isNaN(v))
}

/** Evaluates the inside of one `{{…}}`. */
export function evaluateExpression(expr: string, ctx: ShortcodeContext): Json {
  const operands = expr.split('||').map((s) => s.trim())
  let value: Json = null
  for (const op of operands) {
    const lit = literal(op)
    value = lit.ok ? lit.value : PATH.test(op) ? lookup(ctx, op) : null
    if (truthy(value)) return value
  }
  return value
}

function asText(v: Json): string {
  if (v === null) return 'null'
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function evaluateString(s: string, ctx: ShortcodeContext): Json {
  const whole = WHOLE.exec(s)
  if (whole) return evaluateExpression(whole[1] ?? '', ctx)
  if (!s.includes('{{')) return s
  return s.replace(SHORTCODE, (_m, expr: string) => asText(evaluateExpression(expr, ctx)))
}

/**
 * Renders a claims template: every string value is evaluated, objects and arrays recursively;
 * keys are kept as written.
 *
 * @example
 * renderClaims({ email: '{{user.primary_email_address}}' }, { user: { primary_email_address: 'a@b.co' } })
 * // → { email: 'a@b.co' }
 */
export function renderClaims(
  template: { [key: string]: Json },
  ctx: ShortcodeContext,
): { [key: string]: Json } {
  return renderValue(template, ctx) as { [key: string]: Json }
}

function renderValue(v: Json, ctx: ShortcodeContext): Json {
  if (typeof v === 'string') return evaluateString(v, ctx)
  if (Array.isArray(v)) return v.map((item) => renderValue(item, ctx))
  if (isRecord(v)) {
    const out: { [key: string]: Json } = {}
    for (const [k, item] of Object.entries(v)) {
      // Defining (not assigning) keeps a literal "__proto__" key an ordinary property.
      Object.defineProperty(out, k, {
        value: renderValue(item, ctx),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  return v
}

/** Why a claims template is refused, or undefined when it is acceptable. */
export function templateProblem(template: unknown): string | undefined {
  if (!isRecord(template)) return 'must be a JSON object'
  if (JSON.stringify(template).length > MAX_TEMPLATE_BYTES)
    return `must serialize to at most ${MAX_TEMPLATE_BYTES} bytes`
  const depth = (v: unknown): number =>
    Array.isArray(v)
      ? 1 + Math.max(0, ...v.map(depth))
      : isRecord(v)
        ? 1 + Math.max(0, ...Object.values(v).map(depth))
        : 0
  if (depth(template) > MAX_TEMPLATE_DEPTH)
    return `must nest at most ${MAX_TEMPLATE_DEPTH} levels deep`
  return undefined
}
