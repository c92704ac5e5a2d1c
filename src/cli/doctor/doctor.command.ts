import { parseArgs } from 'node:util';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { oauthMcpOptionsFromEnv } from '../../config/options-from-env.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { OAuthMcpConfigError } from '../../errors/config.errors.js';
import { loadEnv, type ResolvedCliContext } from '../cli-context.js';
import { checkClock, checkDiscovery, checkJwks } from './identity-provider.checks.js';
import { checkAudience, checkRedirects } from './native.checks.js';
import { checkProxy } from './proxy.checks.js';
import { DoctorReport, summary } from './report.js';
import { checkCertificate, checkHttps } from './transport.checks.js';

export const DOCTOR_USAGE = `Usage: nestjs-oauth-mcp doctor

Reads the same configuration as the application (the environment, then .env in the current
directory) and checks it, one line per check:
  ✔ fine   ⚠ works, but look at it   ✘ will fail: the exit code is 1 when any line is ✘

Checks: configuration (the startup rules), https, the TLS certificate (HTTPS_CERT_FILE/HTTPS_KEY_FILE:
the key belongs to it, its names cover MCP_URL's host, its expiry), audience vs. the MCP resource, redirect URIs,
issuer discovery (reachable, "issuer" byte-identical), JWKS (reachable, usable keys), clock skew
against the IdP's Date header. Proxy mode: the callback URL (MCP_URL + /oauth/callback), the
signing keys (OAUTH_SIGNING_JWKS), static clients, the upstream IdP's discovery (issuer, endpoints,
PKCE S256), whether its authorization endpoint accepts OIDC_CLIENT_ID with the callback URL (one
GET, no sign-in happens), and its clock; the store (REDIS_URL) is named, not contacted. Progress goes
to stderr.`;

/** `nestjs-oauth-mcp doctor` */
export async function doctorCommand(args: string[], context: ResolvedCliContext): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const env = loadEnv(context);
  const report = new DoctorReport(context);

  let config: ResolvedOAuthMcpConfig;
  try {
    config = OAuthMcpConfigService.resolve(oauthMcpOptionsFromEnv(env));
    report.ok('config', `valid (mode ${config.mode}, provider ${config.provider}, MCP endpoint ${config.resource})`);
  } catch (err) {
    if (err instanceof OAuthMcpConfigError) for (const problem of err.problems) report.fail('config', problem);
    else report.fail('config', (err as Error).message);
    context.stdout.write('The application would refuse to start; fix the configuration first (the other checks need it).\n');
    return summary(report, context);
  }

  checkHttps(config, env, report);
  checkCertificate(config, env, report);
  if (config.mode === 'proxy') {
    await checkProxy(config, env, report);
    return summary(report, context);
  }
  checkAudience(config, report);
  checkRedirects(env, report);
  if (config.provider === 'hmac') {
    report.ok('discovery', 'not needed (provider hmac: there is no identity provider)');
    report.ok(
      'jwks',
      `not needed (provider hmac: tokens are verified with JWT_SECRET${config.hmacSecrets.length > 1 ? ' and JWT_SECRET_PREVIOUS' : ''}, ${config.algorithms.join(', ')})`,
    );
    report.ok('clock', 'not checked (provider hmac: no identity provider to compare with)');
  } else {
    const discovered = await checkDiscovery(config, env, report);
    const jwksUri = config.jwksUri ?? discovered.jwksUri;
    await checkJwks(config, jwksUri, report);
    await checkClock(config, config.discoveryUrl ?? jwksUri, report);
  }
  return summary(report, context);
}
