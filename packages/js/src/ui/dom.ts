import { describeError } from '../errors.js'

type Attrs = Record<string, string | boolean | number | undefined | ((e: Event) => void)>
type Child = Node | string | null | undefined | false

let nextId = 0
/** A document-unique id for label/description wiring. */
export const uid = (prefix: string) => `lk-${prefix}-${++nextId}`

/** Creates an element: `on*` attributes become listeners, `false`/`undefined` ones are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

/** A labelled input; the label is visible, and errors are wired through `aria-describedby`. */
export function field(opts: {
  name: string
  label: string
  type?: string
  autocomplete?: string
  required?: boolean
  value?: string
  hint?: string
  inputmode?: string
}): { wrap: HTMLDivElement; input: HTMLInputElement } {
  const id = uid(opts.name)
  const hintId = opts.hint ? `${id}-hint` : undefined
  const input = h('input', {
    id,
    name: opts.name,
    class: 'lk-input',
    type: opts.type ?? 'text',
    autocomplete: opts.autocomplete,
    inputmode: opts.inputmode,
    required: opts.required,
    'aria-describedby': hintId,
    spellcheck: 'false',
  })
  if (opts.value) input.value = opts.value
  const wrap = h(
    'div',
    { class: 'lk-field' },
    h('label', { for: id }, opts.label),
    input,
    opts.hint ? h('div', { id: hintId, class: 'lk-hint' }, opts.hint) : null,
  )
  return { wrap, input }
}

/**
 * A form's submit plumbing: one ARIA live error region, busy state, and the error's field marked
 * invalid and focused. `aliases` maps API field names to this form's input names.
 */
export function formController(
  form: HTMLFormElement,
  opts: { submitLabel: string; aliases?: Record<string, string> },
) {
  const errorId = uid('error')
  const error = h('div', {
    id: errorId,
    class: 'lk-error',
    role: 'alert',
    'aria-live': 'assertive',
  })
  const button = h('button', { type: 'submit', class: 'lk-button' }, opts.submitLabel)
  const inputs = () => [...form.querySelectorAll<HTMLInputElement>('input')]

  const clear = () => {
    error.textContent = ''
    for (const i of inputs()) {
      i.removeAttribute('aria-invalid')
      const ids = (i.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((x) => x && x !== errorId)
      if (ids.length) i.setAttribute('aria-describedby', ids.join(' '))
      else i.removeAttribute('aria-describedby')
    }
  }

  const show = (message: string, fieldName?: string) => {
    error.textContent = message
    const name = fieldName ? (opts.aliases?.[fieldName] ?? fieldName) : undefined
    const target = (name && inputs().find((i) => i.name === name)) || undefined
    if (target) {
      target.setAttribute('aria-invalid', 'true')
      const ids = (target.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
      target.setAttribute('aria-describedby', [...ids, errorId].join(' '))
      target.focus()
    }
  }

  /** Runs `action` on submit: validates required fields first, shows any error it throws. */
  const onSubmit = (action: (values: Record<string, string>) => Promise<void>) => {
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      clear()
      const values: Record<string, string> = {}
      for (const i of inputs()) values[i.name] = i.type === 'checkbox' ? String(i.checked) : i.value
      const missing = inputs().find((i) => i.required && !i.value.trim())
      if (missing) {
        const label = form.querySelector(`label[for="${missing.id}"]`)?.textContent ?? 'This field'
        show(`Enter your ${label.toLowerCase()}.`, missing.name)
        return
      }
      button.disabled = true
      form.setAttribute('aria-busy', 'true')
      action(values)
        .catch((err: unknown) => {
          const d = describeError(err)
          show(d.message, d.field)
        })
        .finally(() => {
          button.disabled = false
          form.removeAttribute('aria-busy')
        })
    })
  }

  return { error, button, onSubmit, show, clear }
}

/** Navigates, unless the URL is not http(s) (never a `javascript:` URL from a query string). */
export function navigate(url: string): void {
  const target = new URL(url, window.location.href)
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return
  window.location.assign(target.toString())
}

export function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s@._-]+/)
    .filter(Boolean)
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase()
}
