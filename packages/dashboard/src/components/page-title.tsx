import { type ReactNode, useEffect, useRef } from 'react'

/**
 * A page's heading. It sets the document title and takes focus when the page opens, so a
 * screen reader announces the new page after in-app navigation (no page load announces it).
 */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    document.title = `${title} · Latchkey`
    ref.current?.focus({ preventScroll: true })
  }, [title])
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children ?? title}
    </h1>
  )
}
