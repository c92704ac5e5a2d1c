import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenProxy {
  /** Origin of the proxy: the MCP_URL of the server behind it. */
  base: string;
  /** The bearer token added to MCP requests that carry none. */
  setToken(token: string): void;
  close(): Promise<void>;
}

/**
 * A reverse proxy on loopback that forwards everything to `target` unchanged (streams included) and
 * adds `Authorization: Bearer <token>` to requests for `mcpPath` that have no Authorization header:
 * for test tools that cannot send a token (the conformance suite). Listens first, so the server
 * behind it can use the proxy's URL as its MCP_URL.
 */
export async function startTokenProxy(mcpPath = '/mcp'): Promise<TokenProxy & { setTarget(port: number): void }> {
  let token: string | undefined;
  let targetPort: number | undefined;
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers };
    if (token && new URL(req.url ?? '/', 'http://x').pathname === mcpPath && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://localhost:${(server.address() as AddressInfo).port}`,
    setToken: (t) => (token = t),
    setTarget: (port) => (targetPort = port),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
