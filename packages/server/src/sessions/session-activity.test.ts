import { describe, expect, it } from 'vitest'
import { parseUserAgent } from './session-activity.js'

const UAS: [string, string | null, string | null, string | null, boolean][] = [
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    'Chrome',
    '156',
    'Linux',
    false,
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
    'Edge',
    '131',
    'Windows',
    false,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0',
    'Firefox',
    '133',
    'macOS',
    false,
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'Safari',
    '18',
    'iOS',
    true,
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36',
    'Chrome',
    '131',
    'Android',
    true,
  ],
  ['curl/8.5.0', null, null, null, false],
  ['node', null, null, null, false],
]

describe('parseUserAgent', () => {
  it.each(UAS)('%s', (ua, name, version, os, mobile) => {
    expect(parseUserAgent(ua)).toEqual({
      browser_name: name,
      browser_version: version,
      device_type: os,
      is_mobile: mobile,
    })
  })

  it('no agent gives nulls; an overlong one is read only in its first 512 characters', () => {
    expect(parseUserAgent(undefined).browser_name).toBeNull()
    expect(parseUserAgent(`${'x'.repeat(600)} Firefox/133.0`).browser_name).toBeNull()
  })
})
