import type { INestApplication } from '@nestjs/common';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { freePort } from './free-port.js';

/**
 * The example server in this process on a free loopback port, with its embedded dev IdP on another, and
 * `env` on top: `MCP_URL` names `host` (`localhost` as MCP clients are pointed at it, or `127.0.0.1`).
 */
export async function startExampleOn(
  env: Record<string, string> = {},
  host: 'localhost' | '127.0.0.1' = 'localhost',
): Promise<{ app: INestApplication; base: string; serverUrl: URL }> {
  const port = await freePort();
  const base = `http://${host}:${port}`;
  const app = await startExampleServer({ env: { MCP_PORT: String(port), MCP_URL: base, DEV_IDP_PORT: '0', ...env }, logger: false });
  return { app, base, serverUrl: new URL(`${base}/mcp`) };
}
