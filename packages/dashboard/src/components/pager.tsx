/** Previous / next over `total` rows, `limit` at a time, with where we are. */
export function Pager(props: {
  offset: number
  limit: number
  total: number
  shown: number
  onChange(offset: number): void
  label: string
}) {
  const { offset, limit, total, shown } = props
  const from = total === 0 ? 0 : offset + 1
  const to = offset + shown
  return (
    <nav className="pager" aria-label={`${props.label} pages`}>
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => props.onChange(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <span aria-live="polite">
        {from}–{to} of {total}
      </span>
      <button type="button" disabled={to >= total} onClick={() => props.onChange(offset + limit)}>
        Next
      </button>
    </nav>
  )
}
