import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { MAILBOX_DIR } from './dev-mailbox.js'

/*
 * Reads the dev mailbox (dev-mailbox.ts) for `latchkey mail`: the .eml files Latchkey wrote,
 * parsed just enough for what it writes (nodemailer's output: RFC 2047 headers, a
 * multipart/alternative body with quoted-printable, base64 or 7bit parts). Any mail client opens
 * the files in full.
 */

/** One message of the dev mailbox. */
export type MailboxEntry = {
  /** 1 is the newest. */
  readonly n: number
  readonly id: string
  readonly file: string
  readonly date: string
  readonly to: string
  readonly subject: string
}

/** The messages in `<dataDir>/mail/`, newest first. */
export function listMailbox(dataDir: string): MailboxEntry[] {
  const dir = resolve(dataDir, MAILBOX_DIR)
  let names: string[]
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.eml'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return names
    .sort()
    .reverse()
    .map((name, i) => {
      const file = resolve(dir, name)
      const { headers } = splitMessage(readFileSync(file, 'utf8'))
      return {
        n: i + 1,
        id: /(mail_[0-9A-Za-z]+)\.eml$/.exec(name)?.[1] ?? name,
        file,
        date: headers.get('date') ?? '',
        to: headers.get('to') ?? '',
        subject: headers.get('subject') ?? '',
      }
    })
}

/** A message by its number in the list (1 = newest) or its id; with its plain-text body. */
export function readMailboxEntry(
  dataDir: string,
  ref: string,
): (MailboxEntry & { text: string }) | undefined {
  const entries = listMailbox(dataDir)
  const entry = /^\d+$/.test(ref)
    ? entries.find((e) => e.n === Number(ref))
    : entries.find((e) => e.id === ref)
  if (!entry) return undefined
  return { ...entry, text: plainText(readFileSync(entry.file, 'utf8')) }
}

type Parsed = { headers: Map<string, string>; body: string }

/** Headers (unfolded, lower-cased names, encoded words decoded) and the body. */
function splitMessage(raw: string): Parsed {
  const text = raw.replace(/\r\n/g, '\n')
  const at = text.indexOf('\n\n')
  const head = at < 0 ? text : text.slice(0, at)
  const headers = new Map<string, string>()
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1)))
  }
  return { headers, body: at < 0 ? '' : text.slice(at + 2) }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`); adjacent ones join. */
function decodeWords(value: string): string {
  return value
    .trim()
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    )
}

function decodeQuotedPrintable(data: string): string {
  const bytes: number[] = []
  const text = data.replace(/=\n/g, '')
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : ''
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else bytes.push(...Buffer.from(text[i] ?? '', 'utf8'))
  }
  return Buffer.from(bytes).toString('utf8')
}

function decodeBody(part: Parsed): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase()
  if (encoding === 'base64') return Buffer.from(part.body, 'base64').toString('utf8')
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body)
  return part.body
}

/** The message's text/plain part (the whole body when it is not multipart). */
function plainText(raw: string): string {
  const message = splitMessage(raw)
  const type = message.headers.get('content-type') ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  if (!boundary) return decodeBody(message)
  for (const chunk of message.body.split(`--${boundary}`)) {
    const part = splitMessage(chunk.replace(/^\n/, ''))
    if ((part.headers.get('content-type') ?? '').toLowerCase().startsWith('text/plain'))
      return decodeBody({ ...part, body: part.body.replace(/\n$/, '') })
  }
  return ''
}
