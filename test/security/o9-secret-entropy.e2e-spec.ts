import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { checkSecret } from '../../src/config/secret-rules.js';
import { OAuthMcpConfigError, OAuthMcpConfigService, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { cli } from '../cli/cli-io.js';
import { freePort } from '../support/free-port.js';

/**
 * O9 (outside review): the weak-secret check (length, a few placeholder words, 8 distinct characters)
 * passed `abcdefgh` ×4, `Password1Password1Password1Pass!`, 24 spaces and digits, and NUL padding.
 * Secrets are now refused below an estimated 128 bits of entropy (repeats, runs, padding and the
 * character classes used, no word list), for JWT_SECRET, JWT_SECRET_PREVIOUS, static client secrets,
 * and in the CLI (`token`, `doctor`); what `nestjs-oauth-mcp secret` prints always passes.
 */

const WEAK: [string, string][] = [
  ['abcdefgh ×4', 'abcdefgh'.repeat(4)],
  ['Password1 ×3 + Pass!', 'Password1Password1Password1Pass!'],
  ['24 spaces + digits', `${' '.repeat(24)}12345678`],
  ['24 spaces + random digits', `${' '.repeat(24)}83920174`],
  ['NUL padding', `S3cr3t!${'\u0000'.repeat(25)}`],
  ['8 distinct characters ×4', 'Zq8Wm3Xv'.repeat(4)],
  ['a trailing newline on a short random part', `Zq8Wm3Xv7Nk2Lp9${'\n'.repeat(17)}`],
];

const GOOD = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const PROXY_ENV = {
  OAUTH_MODE: 'proxy',
  OAUTH_PROVIDER: 'oidc',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'mcp-proxy',
  OIDC_CLIENT_SECRET: 'Cs9Xq2Wm7Nz4Lp8Rt3Ys6Hd1Fg5Jc0Bv',
  JWT_SECRET: GOOD,
  MCP_URL: 'https://mcp.example.com',
};

function refusal(env: Record<string, string>): OAuthMcpConfigError | undefined {
  try {
    OAuthMcpConfigService.resolve(oauthMcpOptionsFromEnv(env));
    return undefined;
  } catch (err) {
    return err as OAuthMcpConfigError;
  }
}

describe('O9 secrets are refused below an estimated 128 bits of entropy', () => {
  it("O9 the review's weak secrets are refused as JWT_SECRET (server and CLI), JWT_SECRET_PREVIOUS and static client secrets, never echoed; real `secret` output passes", async () => {
    const port = await freePort();
    for (const [label, secret] of WEAK) {
      // The example server refuses to start over HTTP.
      const env = { MCP_PORT: String(port), MCP_URL: `http://127.0.0.1:${port}`, OAUTH_PROVIDER: 'hmac', JWT_SECRET: secret, OIDC_AUDIENCE: 'api://mcp' };
      const started = await startExampleServer({ env, logger: false }).then(
        async (app) => {
          await app.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      expect({ label, refused: started instanceof OAuthMcpConfigError }).toEqual({ label, refused: true });
      expect((started as Error).message).toMatch(/jwtSecret \(JWT_SECRET\) (is not random enough|contains control characters|looks like a placeholder)/);
      expect((started as Error).message).not.toContain(secret);

      expect({ label, previous: refusal({ ...PROXY_ENV, JWT_SECRET_PREVIOUS: secret })?.message }).toEqual({
        label,
        previous: expect.stringContaining('JWT_SECRET_PREVIOUS'),
      });
      const statics = JSON.stringify([{ client_id: 'web-app', client_secret: secret, redirect_uris: ['https://app.example.com/callback'] }]);
      expect({ label, statics: refusal({ ...PROXY_ENV, OAUTH_STATIC_CLIENTS: statics })?.message }).toEqual({
        label,
        statics: expect.stringContaining('OAUTH_STATIC_CLIENTS'),
      });

      const token = await cli(['token', '--sub', 'alice', '--aud', 'api://mcp'], { JWT_SECRET: secret });
      expect({ label, code: token.code, stdout: token.stdout }).toEqual({ label, code: 1, stdout: '' });
      const doctor = await cli(['doctor'], { OAUTH_PROVIDER: 'hmac', JWT_SECRET: secret, OIDC_AUDIENCE: 'api://mcp' });
      expect({ label, code: doctor.code }).toEqual({ label, code: 1 });
      expect(doctor.stdout).toMatch(/^✘ config: jwtSecret \(JWT_SECRET\) /m);
      expect(doctor.stdout + token.stderr).not.toContain(secret);
    }

    // What the CLI generates always passes, and the server boots with it.
    for (let i = 0; i < 200; i++) {
      const run = await cli(['secret']);
      const secret = run.stdout.trim();
      expect({ secret, problem: checkSecret(secret) }).toEqual({ secret, problem: undefined });
    }
    const generated = (await cli(['secret'])).stdout.trim();
    const app = await startExampleServer({
      env: { MCP_PORT: String(port), MCP_URL: `http://127.0.0.1:${port}`, OAUTH_PROVIDER: 'hmac', JWT_SECRET: generated, OIDC_AUDIENCE: 'api://mcp' },
      logger: false,
    });
    await app.close();
  });
});
