import { Buffer } from 'node:buffer'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import {
  type AddressPolicy,
  AddressRefusedError,
  addressProblem,
  resolveChecked,
} from './endpoint-address.js'

/**
 * A socket `lookup` that resolves the name, checks every address against the policy and hands
 * the socket only those addresses: what was checked is what is connected to.
 */
export function checkedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, policy).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses
        if (options.all) return callback(null, usable)
        const first = usable[0]
        if (!first) return callback(new Error(`${hostname} has no usable address`), '', 4)
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    )
  }
}

/** The part of an endpoint's answer kept with the attempt. */
export const EXCERPT_BYTES = 1024

export type PostResult = { status: number; excerpt: string }

/**
 * POSTs `body` to `url` once: no redirect is followed (a 3xx is an answer, not a success), the
 * answer is read up to {@link EXCERPT_BYTES}, and the whole exchange is bounded by `timeoutMs`.
 * The connection goes only to addresses the policy allows: the name is resolved here, every
 * address checked, and the socket connects to one of those very addresses (the `lookup` hook),
 * so a DNS answer that changes between check and connect (rebinding) cannot slip through. TLS
 * still verifies the certificate for the URL's host name.
 */
export function postOnce(opts: {
  url: URL
  headers: Record<string, string>
  body: string
  timeoutMs: number
  policy: AddressPolicy
}): Promise<PostResult> {
  const { url, body, timeoutMs, policy } = opts
  // An IP in the URL skips `lookup`: it is checked before any socket is opened.
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const problem = isIP(host) !== 0 ? addressProblem(host, policy) : undefined
  if (problem) return Promise.reject(new AddressRefusedError(problem))
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (error: Error | undefined, result?: PostResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) reject(error)
      else if (result) resolve(result)
    }
    const client = url.protocol === 'https:' ? https : http
    const request = client.request(url, {
      method: 'POST',
      headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: checkedLookup(policy),
      agent: false,
    })
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    request.on('error', (error) => finish(error))
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      let size = 0
      const done = () => {
        const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8')
        finish(undefined, { status: response.statusCode ?? 0, excerpt })
        response.destroy()
      }
      response.on('data', (chunk: Buffer) => {
        if (size >= EXCERPT_BYTES) return
        chunks.push(chunk)
        size += chunk.length
        if (size >= EXCERPT_BYTES) done()
      })
      response.on('end', done)
      response.on('error', (error) => finish(error))
      response.on('close', done)
    })
    request.end(body)
  })
}
