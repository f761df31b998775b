import { type RawBuilder, type SqlBool, sql } from 'kysely'

/*
 * The one place where values that do not round-trip identically through both dialects are
 * normalized: booleans are stored as 0/1 and JSON objects as text.
 */

/** Encodes a boolean for storage. */
export const toDbBool = (value: boolean): number => (value ? 1 : 0)

/** Decodes a stored boolean (0/1 from either dialect). */
export const fromDbBool = (value: number | boolean | null | undefined): boolean => Boolean(value)

/** A JSON object as stored in a text column. */
export type JsonObject = { [key: string]: unknown }

/** Encodes a JSON object for a text column. */
export const toDbJson = (value: JsonObject): string => JSON.stringify(value)

/** Decodes a JSON object from a text column; a corrupt value reads as `{}` rather than throwing. */
export function fromDbJson(text: string | null | undefined): JsonObject {
  if (!text) return {}
  const parsed: unknown = JSON.parse(text)
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as JsonObject)
    : {}
}

/**
 * `lower(column) LIKE '%text%'` with the text's own `%`, `_` and `\` matched literally, on both
 * dialects (SQLite only honours a backslash escape when the query names it).
 */
export function containsIgnoringCase(column: string, text: string): RawBuilder<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`
}
