import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from './free-port.js';

const listen = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });

describe('freePort', () => {
  it('hands out distinct loopback ports outside the ephemeral range, each free to listen on', async () => {
    const ports = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) await listen(port);
    const range = '/proc/sys/net/ipv4/ip_local_port_range';
    if (existsSync(range)) {
      const low = Number(readFileSync(range, 'utf8').trim().split(/\s+/)[0]);
      for (const port of ports) expect(port).toBeLessThan(low);
    }
  });
});
