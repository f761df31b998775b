import type { AnchorHTMLAttributes, MouseEvent } from 'react'
import { href, navigate } from '../router.ts'

type Props = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }

/** A real link (opens in a new tab, keyboard operable) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: Props) {
  const go = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return
    e.preventDefault()
    navigate(to)
  }
  return <a {...rest} href={href(to)} onClick={go} />
}
