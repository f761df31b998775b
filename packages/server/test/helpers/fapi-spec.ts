import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import { parse } from 'yaml'

/**
 * Clerk's Frontend API spec (OpenAPI 3.0, MIT, vendored in test/fixtures/clerk-specs/) as a JSON Schema
 * validator: `validate('Client.Environment', body)` checks a live answer against the spec's
 * component schema, every `$ref` resolved by Ajv. OpenAPI 3.0's `nullable: true` becomes
 * "null, or the schema", which also lets `nullable` sit beside `allOf` as the spec uses it.
 */
const SPEC = fileURLToPath(new URL('../fixtures/clerk-specs/fapi-2026-05-12.yml', import.meta.url))

type Node = { [key: string]: unknown }

function convert(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convert)
  if (!value || typeof value !== 'object') return value
  const out: Node = {}
  for (const [k, v] of Object.entries(value)) {
    // OpenAPI's annotations that JSON Schema does not know.
    if (k === 'nullable' || k === 'example' || k === 'discriminator' || k === 'xml') continue
    out[k] = k === 'properties' ? convertEach(v) : convert(v)
  }
  return (value as Node).nullable === true ? { anyOf: [{ type: 'null' }, out] } : out
}

/** `properties` maps names to schemas: convert each (a property may be called `nullable`). */
function convertEach(props: unknown): unknown {
  if (!props || typeof props !== 'object') return props
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, convert(v)]))
}

let ajv: Ajv | undefined

function load(): Ajv {
  if (ajv) return ajv
  const spec = parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Node } }
  const schemas = Object.fromEntries(
    Object.entries(spec.components.schemas).map(([k, v]) => [k, convert(v)]),
  )
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  ajv.addSchema({ $id: 'fapi', components: { schemas } })
  return ajv
}

/** The spec's errors for `value` as component `name` (empty when it conforms). */
export function specErrors(name: string, value: unknown): string[] {
  const validate = load().getSchema(`fapi#/components/schemas/${name}`)
  if (!validate) throw new Error(`no schema ${name} in the Frontend API spec`)
  if (validate(value)) return []
  return (validate.errors ?? []).map(describe)
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`
}
