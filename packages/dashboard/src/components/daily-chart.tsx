import { useId } from 'react'
import type { InstanceStats } from '../types.ts'

const W = 600
const H = 160
const PAD = 20

type Days = InstanceStats['days']

/**
 * Sign-ups and sign-ins per day as bars (inline SVG of a fixed aspect ratio, drawn empty while
 * loading, so nothing shifts). The picture is hidden from assistive technology; its caption
 * sums it up, and a table that screen readers read holds every number.
 */
export function DailyChart({ days }: { days: Days | undefined }) {
  const captionId = useId()
  const list = days ?? []
  const max = Math.max(1, ...list.map((d) => Math.max(d.sign_ups, d.sign_ins)))
  const ups = list.reduce((n, d) => n + d.sign_ups, 0)
  const ins = list.reduce((n, d) => n + d.sign_ins, 0)
  const caption = days
    ? `Sign-ups and sign-ins per day, ${list[0]?.date ?? ''} to ${list.at(-1)?.date ?? ''} (UTC): ${ups} sign-ups, ${ins} sign-ins.`
    : 'Sign-ups and sign-ins per day: loading…'
  return (
    <figure className="chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>{caption}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false" className="chart-svg">
        <line x1={PAD} y1={H - PAD} x2={W} y2={H - PAD} className="axis" />
        <text x={0} y={PAD - 6} className="tick">
          {days ? max : ''}
        </text>
        <text x={0} y={H - PAD + 14} className="tick">
          0
        </text>
        <Bars days={list} max={max} />
      </svg>
      <p className="legend" aria-hidden="true">
        <span className="key ups" /> Sign-ups <span className="key ins" /> Sign-ins
      </p>
      <table className="sr-only">
        <caption>Sign-ups and sign-ins per day</caption>
        <thead>
          <tr>
            <th scope="col">Date (UTC)</th>
            <th scope="col">Sign-ups</th>
            <th scope="col">Sign-ins</th>
          </tr>
        </thead>
        <tbody>
          {list.map((d) => (
            <tr key={d.date}>
              <th scope="row">{d.date}</th>
              <td>{d.sign_ups}</td>
              <td>{d.sign_ins}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}

function Bars({ days, max }: { days: Days; max: number }) {
  const slot = (W - PAD) / Math.max(1, days.length)
  const bar = Math.max(1, slot / 2 - 1)
  const top = (n: number) => H - PAD - (n / max) * (H - PAD * 2)
  return days.map((d, i) => {
    const x = PAD + i * slot
    return (
      <g key={d.date}>
        <rect
          x={x}
          y={top(d.sign_ups)}
          width={bar}
          height={H - PAD - top(d.sign_ups)}
          className="ups"
        />
        <rect
          x={x + bar + 1}
          y={top(d.sign_ins)}
          width={bar}
          height={H - PAD - top(d.sign_ins)}
          className="ins"
        />
      </g>
    )
  })
}
