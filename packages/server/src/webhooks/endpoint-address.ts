import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/*
 * Server-side request forgery (issue #19 item 4): a webhook endpoint is a URL the operator's
 * Backend API caller chooses, and the server POSTs to it. Anyone holding a secret key must not
 * turn that into a way to reach the machine's own services, the cloud metadata endpoint or the
 * private network. Every address is checked: the URL's when it is an IP, and every address its
 * name resolves to, at creation and again at every delivery (webhook-http.ts pins the connection
 * to the addresses checked, so a name cannot resolve to a public address for the check and a
 * private one for the connection).
 */

/** Addresses no endpoint may have unless the operator allows them. */
const BLOCKED = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: reaches IPv4 addresses
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv6')

/** Who may be reached beyond public addresses (config `outboundAllowPrivate`). */
export type AddressPolicy = 'all' | readonly string[]

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`, `::ffff:7f00:1`). */
function unmapped(address: string): string | undefined {
  const m = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(.+)$/i.exec(address)
  const rest = m?.[1]
  if (!rest) return undefined
  if (isIP(rest) === 4) return rest
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest)
  if (!hex) return undefined
  const hi = Number.parseInt(hex[1] ?? '0', 16)
  const lo = Number.parseInt(hex[2] ?? '0', 16)
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.')
}

function allowedBy(policy: AddressPolicy, address: string, family: 'ipv4' | 'ipv6'): boolean {
  if (policy === 'all') return true
  if (policy.length === 0) return false
  const list = new BlockList()
  for (const entry of policy) {
    const [net = '', bits] = entry.split('/')
    const f = isIP(net) === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(net, f)
    else list.addSubnet(net, Number(bits), f)
  }
  return list.check(address, family)
}

/** Why an endpoint may not connect to `address` (an IP), or undefined when it may. */
export function addressProblem(address: string, policy: AddressPolicy): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '')
  const v4 = isIP(bare) === 6 ? unmapped(bare) : undefined
  const ip = v4 ?? bare
  const family = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined
  if (!family) return `${address} is not an IP address`
  if (!BLOCKED.check(ip, family)) return undefined
  if (allowedBy(policy, ip, family)) return undefined
  return `${address} is a loopback, private, link-local or reserved address; the operator allows such addresses with LATCHKEY_OUTBOUND_ALLOW_PRIVATE (formerly LATCHKEY_WEBHOOK_ALLOW_PRIVATE)`
}

/** Why `raw` cannot be an endpoint URL before any name is resolved, or the URL. */
export function parseEndpointUrl(raw: string, policy: AddressPolicy): URL | string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'must be an absolute http(s) URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL'
  if (url.username || url.password) return 'must not carry credentials'
  if (url.hash) return 'must not have a fragment'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!host) return 'must name a host'
  if (isIP(host) !== 0) return addressProblem(host, policy) ?? url
  return url
}

/** The host's addresses, each checked; throws naming the first refused one. */
export async function resolveChecked(
  hostname: string,
  policy: AddressPolicy,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const host = hostname.replace(/^\[|\]$/g, '')
  const found =
    isIP(host) !== 0
      ? [{ address: host, family: isIP(host) as 4 | 6 }]
      : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
          address: a.address,
          family: a.family as 4 | 6,
        }))
  if (found.length === 0) throw new AddressRefusedError(`${hostname} has no address`)
  for (const a of found) {
    const problem = addressProblem(a.address, policy)
    if (problem) throw new AddressRefusedError(`${hostname} resolves to ${problem}`)
  }
  return found
}

/** An endpoint's address the policy refuses. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError'
}
