import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';

/** Ports this process handed out: never the same one twice. */
const handedOut = new Set<number>();
/** The range picked from, read once per process. */
let range: [number, number] | undefined;

/**
 * Ports below the kernel's ephemeral range: `listen(0)` and outgoing connections draw from that range, so
 * a port picked here is not given to another process between the pick and the app's own `listen`.
 * Linux reads its range; elsewhere (macOS, Windows) the range starts at 49152.
 */
function pickRange(): [number, number] {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 12_000) return [10_000, low - 1];
    return [0, 0];
  } catch {
    return [10_000, 32_767];
  }
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback TCP port that was free a moment ago: the app's public URL (and the dev IdP's resource)
 * must be known before the app listens. Picked at random below the ephemeral range, so parallel test
 * workers and outgoing connections do not take it before the app listens. @publicApi
 */
export async function freePort(): Promise<number> {
  const [low, high] = (range ??= pickRange());
  for (let attempt = 0; low > 0 && attempt < 50; attempt++) {
    const candidate = randomInt(low, high + 1);
    if (handedOut.has(candidate)) continue;
    if ((await listenOnce(candidate)) !== undefined) {
      handedOut.add(candidate);
      return candidate;
    }
  }
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('freePort: no loopback port could be bound');
  return port;
}
