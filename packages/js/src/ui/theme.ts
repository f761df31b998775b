/** The prebuilt UI's look, as CSS variables (Clerk's `appearance.variables` names). */
export type Appearance = {
  variables?: {
    colorPrimary?: string
    colorText?: string
    colorTextSecondary?: string
    colorBackground?: string
    colorInputBackground?: string
    colorDanger?: string
    colorSuccess?: string
    borderRadius?: string
    fontFamily?: string
  }
}

const VARIABLES: Record<keyof NonNullable<Appearance['variables']>, string> = {
  colorPrimary: '--lk-color-primary',
  colorText: '--lk-color-text',
  colorTextSecondary: '--lk-color-text-secondary',
  colorBackground: '--lk-color-background',
  colorInputBackground: '--lk-color-input-background',
  colorDanger: '--lk-color-danger',
  colorSuccess: '--lk-color-success',
  borderRadius: '--lk-radius',
  fontFamily: '--lk-font-family',
}

/** Sets an appearance's variables on a component's root element. */
export function applyAppearance(el: HTMLElement, ...appearances: (Appearance | undefined)[]): void {
  for (const a of appearances) {
    for (const [name, value] of Object.entries(a?.variables ?? {})) {
      const cssVar = VARIABLES[name as keyof typeof VARIABLES]
      if (cssVar && typeof value === 'string') el.style.setProperty(cssVar, value)
    }
  }
}

/**
 * The stylesheet, injected once. Every colour, the radius and the font are variables, so a page
 * can restyle the components from its own CSS (`.lk-root { --lk-color-primary: … }`).
 */
export const STYLES = `
/* Defaults at zero specificity: any page rule on .lk-root overrides them, wherever it loads. */
:where(.lk-root) {
  --lk-color-primary: #4f46e5;
  --lk-color-primary-text: #ffffff;
  --lk-color-text: #111827;
  --lk-color-text-secondary: #4b5563;
  --lk-color-background: #ffffff;
  --lk-color-input-background: #ffffff;
  --lk-color-border: #d1d5db;
  --lk-color-danger: #b91c1c;
  --lk-color-success: #047857;
  --lk-radius: 0.5rem;
  --lk-font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.lk-root {
  font-family: var(--lk-font-family);
  color: var(--lk-color-text);
  line-height: 1.5;
  box-sizing: border-box;
}
.lk-root *, .lk-root *::before, .lk-root *::after { box-sizing: inherit; }
.lk-card {
  background: var(--lk-color-background);
  border: 1px solid var(--lk-color-border);
  border-radius: calc(var(--lk-radius) * 2);
  box-shadow: 0 10px 30px rgba(0, 0, 0, 0.08);
  padding: 2rem;
  width: 100%;
  max-width: 26rem;
}
.lk-card.lk-wide { max-width: 40rem; }
.lk-title { font-size: 1.25rem; font-weight: 700; margin: 0 0 0.25rem; }
.lk-subtitle { margin: 0 0 1.5rem; color: var(--lk-color-text-secondary); }
.lk-section { border-top: 1px solid var(--lk-color-border); padding-top: 1rem; margin-top: 1.25rem; }
.lk-section h2 { font-size: 1rem; margin: 0 0 0.75rem; }
.lk-row { display: flex; gap: 0.75rem; }
.lk-row > * { flex: 1 1 0; min-width: 0; }
.lk-field { display: flex; flex-direction: column; margin-bottom: 1rem; }
.lk-field label { font-size: 0.875rem; font-weight: 600; margin-bottom: 0.25rem; }
.lk-field .lk-hint { font-size: 0.8125rem; color: var(--lk-color-text-secondary); margin-top: 0.25rem; }
.lk-input {
  font: inherit; color: inherit; background: var(--lk-color-input-background);
  border: 1px solid var(--lk-color-border); border-radius: var(--lk-radius);
  padding: 0.55rem 0.75rem; width: 100%; min-width: 0;
}
.lk-input[aria-invalid="true"] { border-color: var(--lk-color-danger); }
.lk-root :focus-visible { outline: 3px solid var(--lk-color-primary); outline-offset: 2px; }
.lk-check { display: flex; gap: 0.5rem; align-items: center; margin-bottom: 1rem; font-size: 0.875rem; }
.lk-button {
  font: inherit; font-weight: 600; cursor: pointer; width: 100%;
  background: var(--lk-color-primary); color: var(--lk-color-primary-text);
  border: 1px solid var(--lk-color-primary); border-radius: var(--lk-radius);
  padding: 0.6rem 1rem;
}
.lk-button[disabled] { opacity: 0.6; cursor: progress; }
.lk-button.lk-secondary { background: transparent; color: var(--lk-color-text); border-color: var(--lk-color-border); width: auto; }
.lk-button.lk-danger { background: transparent; color: var(--lk-color-danger); border-color: var(--lk-color-danger); width: auto; }
.lk-error { color: var(--lk-color-danger); font-size: 0.875rem; margin: 0 0 1rem; }
.lk-error:empty, .lk-status:empty { display: none; }
.lk-status { color: var(--lk-color-success); font-size: 0.875rem; margin: 0.5rem 0 0; }
.lk-footer { margin: 1.25rem 0 0; font-size: 0.875rem; color: var(--lk-color-text-secondary); text-align: center; }
.lk-link { color: var(--lk-color-primary); font-weight: 600; background: none; border: 0; padding: 0; font: inherit; cursor: pointer; text-decoration: underline; }
.lk-list { list-style: none; margin: 0; padding: 0; }
.lk-list li { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: 0.6rem 0; border-bottom: 1px solid var(--lk-color-border); }
.lk-list li:last-child { border-bottom: 0; }
.lk-muted { color: var(--lk-color-text-secondary); font-size: 0.8125rem; }
.lk-badge { font-size: 0.75rem; font-weight: 600; border: 1px solid var(--lk-color-border); border-radius: 999px; padding: 0 0.5rem; margin-left: 0.5rem; }
.lk-avatar {
  width: 2.25rem; height: 2.25rem; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--lk-color-primary); color: var(--lk-color-primary-text); font: inherit; font-weight: 700;
  display: inline-flex; align-items: center; justify-content: center;
}
.lk-user-button { position: relative; display: inline-block; }
.lk-menu {
  position: absolute; right: 0; top: calc(100% + 0.5rem); z-index: 1000; min-width: 16rem;
  background: var(--lk-color-background); border: 1px solid var(--lk-color-border);
  border-radius: var(--lk-radius); box-shadow: 0 10px 30px rgba(0, 0, 0, 0.12); padding: 0.5rem;
}
.lk-menu[hidden] { display: none; }
.lk-menu-header { padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--lk-color-border); margin-bottom: 0.25rem; }
.lk-menu-item { display: block; width: 100%; text-align: left; font: inherit; color: inherit; background: none; border: 0; border-radius: var(--lk-radius); padding: 0.5rem 0.75rem; cursor: pointer; }
.lk-menu-item:hover, .lk-menu-item:focus { background: rgba(0, 0, 0, 0.06); }
.lk-backdrop {
  position: fixed; inset: 0; z-index: 2147483000; background: rgba(17, 24, 39, 0.5);
  display: flex; align-items: flex-start; justify-content: center; padding: 4rem 1rem; overflow-y: auto;
}
.lk-modal { position: relative; width: 100%; display: flex; justify-content: center; }
.lk-close {
  position: absolute; top: 0.75rem; right: calc(50% - 12.5rem); background: none; border: 0;
  font-size: 1.5rem; line-height: 1; cursor: pointer; color: var(--lk-color-text-secondary);
}
.lk-modal .lk-card.lk-wide ~ .lk-close { right: calc(50% - 19.5rem); }
.lk-code { font-size: 1.25rem; letter-spacing: 0.3em; font-variant-numeric: tabular-nums; }
.lk-alternatives { margin: 1rem 0 0; font-size: 0.875rem; display: flex; flex-wrap: wrap; gap: 0.35rem; align-items: baseline; }
.lk-link[disabled] { color: var(--lk-color-text-secondary); cursor: default; text-decoration: none; }
.lk-forgot { margin: -0.5rem 0 1rem; font-size: 0.875rem; text-align: right; }
.lk-divider { text-align: center; color: var(--lk-color-text-secondary); font-size: 0.8125rem; margin: 1rem 0 0.75rem; }
.lk-button.lk-wide-button { width: 100%; margin-bottom: 0.5rem; }
.lk-waiting { margin: 0 0 1rem; }
.lk-waiting:focus { outline: none; }
.lk-actions { display: flex; gap: 0.5rem; flex-wrap: wrap; }
.lk-inline-form { margin-top: 0.75rem; }
.lk-qr-figure { margin: 0.75rem 0; }
.lk-qr { display: block; width: 12rem; height: 12rem; border: 1px solid var(--lk-color-border); border-radius: var(--lk-radius); }
.lk-secret { display: inline-block; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9375rem; word-break: break-all; margin-bottom: 1rem; }
.lk-codes { list-style: none; padding: 0; margin: 0.75rem 0 1rem; display: grid; grid-template-columns: repeat(2, max-content); gap: 0.35rem 2rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.lk-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`

let injected = false

/** Adds the stylesheet to the document once. */
export function injectStyles(doc: Document): void {
  if (injected || doc.getElementById('latchkey-styles')) return
  const style = doc.createElement('style')
  style.id = 'latchkey-styles'
  style.textContent = STYLES
  doc.head.appendChild(style)
  injected = true
}
