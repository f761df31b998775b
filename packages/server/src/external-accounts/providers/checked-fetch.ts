import { Buffer } from 'node:buffer'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import type * as oidc from 'openid-client'
import {
  type AddressPolicy,
  AddressRefusedError,
  addressProblem,
} from '../../webhooks/endpoint-address.js'
import { checkedLookup } from '../../webhooks/webhook-http.js'

/** Limits on one request of a relying party (discovery, token, userinfo, JWKS). */
export const RP_FETCH_LIMITS = { timeoutMs: 10_000, maxBytes: 1_000_000 }

/**
 * The fetch openid-client uses for every request of a relying party (issue #18): a discovery
 * URL or issuer is chosen by the Backend API caller, and the discovered token, userinfo and JWKS
 * endpoints by whoever serves that document, so each request goes through the outbound address
 * policy (`LATCHKEY_OUTBOUND_ALLOW_PRIVATE`) as webhook deliveries and SAML metadata reads do:
 * the URL's IP, or every address its name resolves to, is checked and the socket connects only
 * to those addresses (`checkedLookup`). No redirect is followed (openid-client asks for
 * `redirect: 'manual'`; a 3xx is returned as is and fails its checks). The answer is read up to
 * 1 MB and the whole exchange bounded by 10 s. Plain http is allowed only where the policy
 * admits the address (a public address needs TLS; loopback only when the operator allows it).
 */
export function checkedFetch(policy: AddressPolicy, limits = RP_FETCH_LIMITS): oidc.CustomFetch {
  return (url, options) => fetchOnce(new URL(url), options, policy, limits)
}

/** Whether `address` is public (the policy is only asked about the others). */
const isPublic = (address: string) => addressProblem(address, []) === undefined

/** The body as bytes, for the shapes openid-client sends (a form, a string, nothing). */
function bodyOf(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined
  if (body instanceof URLSearchParams) return Buffer.from(body.toString())
  if (typeof body === 'string') return Buffer.from(body)
  if (body instanceof Uint8Array) return Buffer.from(body)
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body))
  throw new Error('an unsupported request body')
}

function fetchOnce(
  url: URL,
  options: oidc.CustomFetchOptions,
  policy: AddressPolicy,
  limits: typeof RP_FETCH_LIMITS,
): Promise<Response> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return Promise.reject(new Error(`${url.protocol} is not http(s)`))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const problem = isIP(host) !== 0 ? addressProblem(host, policy) : undefined
  if (problem) return Promise.reject(new AddressRefusedError(problem))
  const plain = url.protocol === 'http:'
  if (plain && isIP(host) !== 0 && isPublic(host))
    return Promise.reject(new Error(`${url.origin}: plain http to a public address`))
  const body = bodyOf(options.body)
  return new Promise<Response>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const headers: Record<string, string> = { ...options.headers }
    if (body) headers['content-length'] = String(body.length)
    const request = client.request(url, {
      method: options.method,
      headers,
      agent: false,
      timeout: limits.timeoutMs,
      lookup: (hostname, opts, callback) =>
        checkedLookup(policy)(hostname, opts, (error, address, family) => {
          // Plain http only to an address the policy admits beyond public ones: a public
          // provider is reached over TLS, whatever its discovery document says.
          if (!error && plain) {
            const first = Array.isArray(address) ? address[0]?.address : address
            if (first && isPublic(first))
              return callback(new Error(`${url.origin}: plain http to a public address`), '', 4)
          }
          callback(error, address as string, family)
        }),
    })
    const timer = setTimeout(
      () => request.destroy(new Error('no complete answer in time')),
      limits.timeoutMs,
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    const signal = options.signal
    if (signal) {
      if (signal.aborted) request.destroy(new Error('aborted'))
      signal.addEventListener('abort', () => request.destroy(new Error('aborted')), { once: true })
    }
    request.on('error', fail)
    request.on('timeout', () => request.destroy(new Error('no answer in time')))
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limits.maxBytes) {
          response.destroy()
          return fail(new Error(`the answer is larger than ${limits.maxBytes} bytes`))
        }
        chunks.push(chunk)
      })
      response.on('end', () => {
        clearTimeout(timer)
        const answerHeaders = new Headers()
        for (const [name, value] of Object.entries(response.headers)) {
          if (value === undefined) continue
          for (const v of Array.isArray(value) ? value : [value]) answerHeaders.append(name, v)
        }
        const status = response.statusCode ?? 0
        const nullBody = status === 204 || status === 205 || status === 304
        const answer = new Response(nullBody ? null : Buffer.concat(chunks), {
          status,
          statusText: response.statusMessage ?? '',
          headers: answerHeaders,
        })
        Object.defineProperty(answer, 'url', { value: url.href })
        resolve(answer)
      })
      response.on('error', fail)
    })
    request.end(body)
  })
}
