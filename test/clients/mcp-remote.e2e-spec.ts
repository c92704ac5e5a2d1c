/**
 * mcp-remote (the stdio bridge that lets stdio-only MCP clients reach a remote server) against the
 * example server, unmodified, over stdio: an official SDK client spawns it, it signs in by itself
 * (discovery, dynamic registration, PKCE, its own loopback callback listener) and then bridges tool
 * calls. Headless: BROWSER=true makes its opener succeed without a browser; the test reads the
 * authorization URL it prints and plays the user at the dev IdP (headlessLogin), then delivers the
 * redirect to mcp-remote's callback listener as the browser would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { headlessLogin } from '../../src/dev-idp/headless-login.js';
import { ROOT } from '../support/compiled.js';
import { freePort } from '../support/free-port.js';

type TextResult = { content: { type: string; text: string }[] };

const MCP_REMOTE = join(ROOT, 'node_modules/mcp-remote/dist/proxy.js');

/** Resolves with the first authorization URL mcp-remote prints to stderr. */
function authorizationUrl(stderr: Readable, log: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mcp-remote printed no authorization URL:\n${log.join('')}`)), 20_000);
    stderr.on('data', (chunk: Buffer) => {
      log.push(chunk.toString());
      const match = /Please authorize this client by visiting:\s*\n(\S+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}

describe.each([
  // Proxy mode at the shortest access-token lifetime docs/clients.md gives for mcp-remote (it refreshes
  // tokens with less than 60 s left).
  ['proxy', { OAUTH_ACCESS_TOKEN_TTL_SECONDS: '120' }],
  ['native', { OAUTH_MODE: 'native' }],
] as const)('mcp-remote over stdio (%s mode)', (mode, env) => {
  let app: INestApplication;
  let serverUrl: string;
  let configDir: string;

  beforeAll(async () => {
    const port = await freePort();
    serverUrl = `http://127.0.0.1:${port}/mcp`;
    app = await startExampleServer({ env: { MCP_PORT: String(port), DEV_IDP_PORT: '0', ...env }, logger: false });
    configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('signs in on its own (registration, PKCE, its loopback callback) and bridges whoami for the signed-in user', async () => {
    const callbackPort = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, serverUrl, String(callbackPort), '--auth-timeout', '60'],
      env: { PATH: process.env.PATH ?? '', HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true' },
      stderr: 'pipe',
    });
    const log: string[] = [];
    const url = authorizationUrl(transport.stderr as Readable, log);
    const client = new Client({ name: 'stdio-host', version: '0' });
    const connected = client.connect(transport);
    connected.catch(() => undefined); // awaited below; mcp-remote exiting early must not crash the runner
    try {
      const authorize = new URL(await Promise.race([url, connected.then(() => Promise.reject(new Error('connected without signing in')))]));
      const redirectUri = authorize.searchParams.get('redirect_uri')!;
      expect(redirectUri).toBe(`http://localhost:${callbackPort}/oauth/callback`);
      // It asks for the scopes the server's challenge names (not "openid email profile"), plus
      // offline_access where the authorization server offers it (the dev IdP does).
      expect(authorize.searchParams.get('scope')).toMatch(/^mcp:read mcp:write mcp:admin( offline_access)?$/);
      const callback = await headlessLogin(authorize.href, redirectUri, { username: `rita-${mode}` });
      expect((await fetch(callback)).status).toBe(200);
      await connected;

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoami', 'echo', 'admin_ping']));
      const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
      expect(JSON.parse(whoami.content[0].text)).toMatchObject({ sub: `rita-${mode}`, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
      const pong = (await client.callTool({ name: 'admin_ping', arguments: {} })) as TextResult;
      expect(pong.content[0].text).toBe('pong');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- mcp-remote stderr ---\n${log.join('')}`);
    } finally {
      await client.close();
    }
  }, 90_000);
});
