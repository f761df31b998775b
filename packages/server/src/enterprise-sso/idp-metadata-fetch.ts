import { Buffer } from 'node:buffer'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import {
  type AddressPolicy,
  AddressRefusedError,
  addressProblem,
} from '../webhooks/endpoint-address.js'
import { checkedLookup } from '../webhooks/webhook-http.js'

/** Limits on reading an IdP's metadata document from its URL. */
export type MetadataFetchLimits = {
  /** The whole read, redirects included. */
  timeoutMs: number
  /** Larger documents are refused (a real one is a few kB; a federation's can be ~100 kB). */
  maxBytes: number
  maxRedirects: number
}

export const METADATA_LIMITS: MetadataFetchLimits = {
  timeoutMs: 10_000,
  maxBytes: 1_000_000,
  maxRedirects: 3,
}

const isLoopbackName = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)

/** Why `url` may not be fetched (https, or http on a loopback name), or undefined. */
export function metadataUrlProblem(url: URL): string | undefined {
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackName(url)) return undefined
  return 'it must be an https URL'
}

/**
 * Reads `url` (`idp_metadata_url`), a URL the Backend API caller chooses, so that holding a
 * secret key cannot make the server fetch from its own machine, the cloud metadata endpoint or
 * the private network (server-side request forgery). Every hop goes through the same address
 * policy as webhook deliveries (`LATCHKEY_OUTBOUND_ALLOW_PRIVATE`): the URL's IP, or every address
 * its name resolves to, is checked and the socket connects only to those very addresses
 * (`checkedLookup`). Redirects are followed a few times, each target checked as the first URL
 * was, so a public URL cannot redirect into the private network. The body is read up to
 * `maxBytes` and the whole exchange bounded by `timeoutMs`. Throws an Error saying why.
 */
export async function fetchIdpMetadata(
  url: URL,
  policy: AddressPolicy,
  limits: MetadataFetchLimits = METADATA_LIMITS,
): Promise<string> {
  const deadline = Date.now() + limits.timeoutMs
  let at = url
  for (let hop = 0; ; hop++) {
    const answer = await getOnce(at, policy, deadline, limits.maxBytes)
    if (answer.kind === 'body') return answer.text
    if (hop >= limits.maxRedirects) throw new Error(`more than ${limits.maxRedirects} redirects`)
    const next = URL.canParse(answer.location, at.href) ? new URL(answer.location, at) : undefined
    if (!next) throw new Error('a redirect to something that is not a URL')
    const problem = metadataUrlProblem(next)
    if (problem) throw new Error(`a redirect to ${next.origin}: ${problem}`)
    at = next
  }
}

type Answer = { kind: 'body'; text: string } | { kind: 'redirect'; location: string }

function getOnce(url: URL, policy: AddressPolicy, deadline: number, maxBytes: number) {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const problem = isIP(host) !== 0 ? addressProblem(host, policy) : undefined
  if (problem) return Promise.reject(new AddressRefusedError(problem))
  return new Promise<Answer>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const request = client.get(url, {
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      lookup: checkedLookup(policy),
      agent: false,
      timeout: Math.max(1, deadline - Date.now()),
    })
    const timer = setTimeout(
      () => request.destroy(new Error('no complete answer in time')),
      Math.max(1, deadline - Date.now()),
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    request.on('error', fail)
    request.on('timeout', () => request.destroy(new Error('no answer in time')))
    request.on('response', (response) => {
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (status >= 300 && status < 400 && location) {
        clearTimeout(timer)
        response.destroy()
        return resolve({ kind: 'redirect', location })
      }
      if (status < 200 || status >= 300) {
        response.destroy()
        return fail(new Error(`status ${status}`))
      }
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) {
          response.destroy()
          return fail(new Error(`it is larger than ${maxBytes} bytes`))
        }
        chunks.push(chunk)
      })
      response.on('end', () => {
        clearTimeout(timer)
        resolve({ kind: 'body', text: Buffer.concat(chunks).toString('utf8') })
      })
      response.on('error', fail)
    })
  })
}
