import { importWithPeer } from './optional-peer.js';

const missing = (text: string) => Object.assign(new Error(text), { code: 'ERR_MODULE_NOT_FOUND' });

describe('importWithPeer', () => {
  it('names the package to install when the optional peer is missing', async () => {
    const load = () => Promise.reject(missing("Cannot find package 'oidc-provider' imported from /app/node_modules/nestjs-oauth-mcp/dist/dev-idp/dev-idp.js"));
    await expect(importWithPeer(load, 'oidc-provider', 'startDevIdp')).rejects.toThrow(
      'startDevIdp needs the optional peer oidc-provider (npm install --save-dev oidc-provider)',
    );
  });

  it('leaves any other failure as it was (another missing package, an error inside the module)', async () => {
    const other = missing("Cannot find package 'koa' imported from /app/node_modules/oidc-provider/lib/index.js");
    await expect(importWithPeer(() => Promise.reject(other), 'oidc-provider', 'startDevIdp')).rejects.toBe(other);
    const inside = new TypeError('boom');
    await expect(importWithPeer(() => Promise.reject(inside), 'oidc-provider', 'startDevIdp')).rejects.toBe(inside);
  });

  it('returns the module when it loads', async () => {
    await expect(importWithPeer(() => Promise.resolve({ ok: true }), 'oidc-provider', 'startDevIdp')).resolves.toEqual({ ok: true });
  });
});
