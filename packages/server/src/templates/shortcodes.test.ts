import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  evaluateExpression,
  type Json,
  renderClaims,
  type ShortcodeContext,
  templateProblem,
} from './shortcodes.js'

const ctx: ShortcodeContext = {
  user: {
    id: 'user_1',
    first_name: 'Ada',
    last_name: null,
    full_name: 'Ada',
    email_verified: true,
    phone_number_verified: false,
    created_at: 1700000000,
    primary_email_address: 'ada@example.com',
    public_metadata: {
      role: 'admin',
      plan: { tier: 'pro', seats: 5 },
      tags: ['a', 'b'],
      zero: 0,
      empty: '',
    },
    unsafe_metadata: {},
  },
  session: { actor: null },
  org: { id: null, slug: null, role: null },
}

describe('shortcodes', () => {
  it('a value that is exactly one shortcode keeps its JSON type', () => {
    expect(
      renderClaims(
        {
          v: '{{user.email_verified}}',
          p: '{{user.phone_number_verified}}',
          n: '{{user.created_at}}',
          z: '{{user.last_name}}',
          o: '{{user.public_metadata.plan}}',
          a: '{{user.public_metadata.tags}}',
          s: ' {{ user.id }} ',
        },
        ctx,
      ),
    ).toEqual({
      v: true,
      p: false,
      n: 1700000000,
      z: null,
      o: { tier: 'pro', seats: 5 },
      a: ['a', 'b'],
      s: 'user_1',
    })
  })

  it('shortcodes inside a longer string interpolate as text', () => {
    expect(
      renderClaims(
        {
          s: 'Hi {{user.first_name}} {{user.last_name}}!',
          t: 'v={{user.email_verified}} n={{user.created_at}} o={{user.public_metadata.plan}}',
        },
        ctx,
      ),
    ).toEqual({
      s: 'Hi Ada null!',
      t: 'v=true n=1700000000 o={"tier":"pro","seats":5}',
    })
  })

  it('|| takes the first truthy operand, with string, number, boolean and null literals', () => {
    expect(evaluateExpression("user.last_name || 'anon'", ctx)).toBe('anon')
    expect(evaluateExpression('user.last_name || "dq"', ctx)).toBe('dq')
    expect(evaluateExpression('user.public_metadata.zero || 42', ctx)).toBe(42)
    expect(evaluateExpression('user.public_metadata.empty || user.first_name || "x"', ctx)).toBe(
      'Ada',
    )
    expect(evaluateExpression('user.last_name || true', ctx)).toBe(true)
    expect(evaluateExpression('user.last_name || false', ctx)).toBe(false)
    expect(evaluateExpression('user.last_name || null', ctx)).toBe(null)
    expect(evaluateExpression('user.first_name || "unused"', ctx)).toBe('Ada')
    expect(evaluateExpression('-1.5e3', ctx)).toBe(-1500)
  })

  it('dot paths reach into metadata; unknown shortcodes yield null', () => {
    expect(evaluateExpression('user.public_metadata.plan.tier', ctx)).toBe('pro')
    expect(evaluateExpression('user.public_metadata.plan.nope.deeper', ctx)).toBe(null)
    expect(evaluateExpression('user.unsafe_metadata.anything', ctx)).toBe(null)
    expect(evaluateExpression('user.nope', ctx)).toBe(null)
    expect(evaluateExpression('nope.at.all', ctx)).toBe(null)
    expect(evaluateExpression('', ctx)).toBe(null)
    expect(evaluateExpression('user.first_name + 1', ctx)).toBe(null)
  })

  it('never reads prototypes or runs code', () => {
    for (const e of [
      'user.__proto__',
      'user.constructor',
      'user.public_metadata.constructor.name',
      'constructor',
      'user.toString',
      'process.exit(1)',
      'this',
    ]) {
      expect(evaluateExpression(e, ctx)).toBe(null)
    }
    const out = renderClaims({ ['__proto__']: { polluted: true } } as { [k: string]: Json }, ctx)
    expect(Object.keys(out)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('renders nested objects and arrays of claims', () => {
    expect(
      renderClaims(
        {
          a: { b: ['{{user.id}}', { c: '{{user.public_metadata.role}}' }, 3, true, null] },
          lit: 7,
        },
        ctx,
      ),
    ).toEqual({ a: { b: ['user_1', { c: 'admin' }, 3, true, null] }, lit: 7 })
  })

  it('refuses templates that are not objects, too large or too deep', () => {
    expect(templateProblem([])).toMatch(/object/)
    expect(templateProblem('x')).toMatch(/object/)
    expect(templateProblem({ a: 'x'.repeat(9000) })).toMatch(/bytes/)
    let deep: Json = 'leaf'
    for (let i = 0; i < 9; i++) deep = { d: deep }
    expect(templateProblem(deep)).toMatch(/levels/)
    expect(templateProblem({ ok: { fine: ['{{user.id}}'] } })).toBeUndefined()
  })
})

describe('shortcodes under random input', () => {
  const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>
  const fragment = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '{{',
      '}}',
      '||',
      "'",
      '"',
      '.',
      ' ',
      'user',
      'public_metadata',
      '__proto__',
      'constructor',
      '{{user.id}}',
      '{{user.public_metadata.a || 1}}',
      '{{ || }}',
    ),
  )
  const templateString = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(''))
  const template: fc.Arbitrary<Json> = fc.letrec<{ node: Json }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      templateString,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node
  const userData = fc.record({
    id: fc.string(),
    first_name: fc.option(fc.string()),
    public_metadata: fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 5 }),
    unsafe_metadata: jsonValue,
  })

  it('never throws, always yields JSON, and is deterministic', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), template, { maxKeys: 6 }),
        userData,
        (tpl, user) => {
          const c = { user: user as Json, session: { actor: null } }
          const out = renderClaims(tpl as { [k: string]: Json }, c)
          const text = JSON.stringify(out)
          expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(out)))
          expect(JSON.stringify(renderClaims(tpl as { [k: string]: Json }, c))).toBe(text)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('does bounded work on pathological strings', () => {
    const evil = `${'{{'.repeat(2000)}${'||'.repeat(2000)}${'}}'.repeat(2000)}${'a.'.repeat(2000)}`
    // A backtracking or recursion bug here would hang: the test's timeout is the guard.
    const out = renderClaims(
      { a: evil, b: `{{${'user.'.repeat(1000)}x}}`, c: `{{${"'a' || ".repeat(1000)}1}}` },
      ctx,
    )
    expect(out.b).toBe(null)
    expect(out.c).toBe('a')
    expect(typeof out.a).toBe('string')
  })
})
