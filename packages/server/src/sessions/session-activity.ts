import type { SessionRow } from '@latchkey/db'

/** What a User-Agent says about the browser, as Clerk's `session_activity` names it. */
export type Browser = {
  browser_name: string | null
  browser_version: string | null
  device_type: string | null
  is_mobile: boolean
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
const BROWSERS: [name: string, pattern: RegExp][] = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /\bOPR\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /\b(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//],
]
const SYSTEMS: [name: string, pattern: RegExp][] = [
  ['Windows', /\bWindows NT\b/],
  ['Android', /\bAndroid\b/],
  ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['macOS', /\bMac OS X\b/],
  ['Linux', /\bLinux\b/],
]

/**
 * Reads the browser's name, major version and operating system from a User-Agent. Unknown
 * agents give nulls, never a guess. Every pattern is linear-time (no nested quantifiers).
 */
export function parseUserAgent(ua: string | null | undefined): Browser {
  if (!ua) return { browser_name: null, browser_version: null, device_type: null, is_mobile: false }
  const text = ua.slice(0, 512)
  let browser_name: string | null = null
  let browser_version: string | null = null
  for (const [name, re] of BROWSERS) {
    const m = re.exec(text)
    if (m) {
      browser_name = name
      browser_version = m[1] ?? null
      break
    }
  }
  const device_type = SYSTEMS.find(([, re]) => re.test(text))?.[0] ?? null
  return {
    browser_name,
    browser_version,
    device_type,
    is_mobile: /\bMobi|\bAndroid\b|\biPhone\b/.test(text),
  }
}

/** Clerk's `session_activity` for a session: the device it started on. */
export function sessionActivity(s: SessionRow) {
  return {
    object: 'session_activity' as const,
    id: `sess_activity_${s.id.slice(5)}`,
    ...parseUserAgent(s.user_agent),
    ip_address: s.ip_address,
    city: null,
    country: null,
  }
}
