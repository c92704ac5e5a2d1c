/**
 * The client's IP: the socket peer, unless the app sits behind `trustProxyHops` proxies it controls,
 * each appending to `X-Forwarded-For`; then the entry that many hops from the right. A client-sent
 * `X-Forwarded-For` therefore never moves its own rate-limit bucket (RFC 9700 §4.13).
 */
/** What the client IP is read from: the socket peer and `X-Forwarded-For`. */
export interface PeerRequest {
  socket?: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}

export function clientIp(req: PeerRequest, trustProxyHops: number): string {
  const peer = (req.socket?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return hops.length >= trustProxyHops ? hops[hops.length - trustProxyHops].replace(/^::ffff:/, '') : peer;
}

/**
 * The rate-limit bucket of an IP: IPv4 as is, IPv6 by its /64 (one subscriber's usual allocation), so
 * rotating through a /64 does not yield fresh buckets.
 */
export function rateLimitBucket(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
