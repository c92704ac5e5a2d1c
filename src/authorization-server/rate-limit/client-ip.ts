/**
 * The client's IP: the socket peer, unless the app sits behind `trustProxyHops` proxies it controls,
 * each appending to `X-Forwarded-For`; then the entry that many hops from the right. A client-sent
 * `X-Forwarded-For` therefore never moves its own rate-limit bucket (RFC 9700 §4.13).
 */
export function clientIp(req: { socket?: { remoteAddress?: string }; headers: Record<string, string | string[] | undefined> }, trustProxyHops: number): string {
  const peer = (req.socket?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  return hops.length >= trustProxyHops ? hops[hops.length - trustProxyHops].replace(/^::ffff:/, '') : peer;
}
