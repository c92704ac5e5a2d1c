import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { configWarnings } from '../../config/config-warnings.js';
import { parseUrlStrict } from '../../config/url-rules.js';
import { TlsCertificateError } from '../../errors/tls.errors.js';
import { certificateProblems } from '../../tls/certificate-rules.js';
import { readTlsCertificate, type TlsCertificate } from '../../tls/tls-certificate.js';
import type { DoctorReport } from './report.js';

/** Transport: https of every URL, the TLS certificate the server would serve. */
/** Loopback http is allowed outside production (the startup rules refuse the rest); TLS settings must agree with MCP_URL. */
export function checkHttps(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): void {
  const cert = Boolean(env.HTTPS_CERT_FILE);
  const key = Boolean(env.HTTPS_KEY_FILE);
  if (cert !== key) {
    report.fail('https', 'HTTPS_CERT_FILE and HTTPS_KEY_FILE must be set together: with only one, the server speaks plain http');
    return;
  }
  if (cert && config.resourceUrl.protocol === 'http:') {
    report.fail(
      'https',
      'HTTPS_CERT_FILE and HTTPS_KEY_FILE are set (the server speaks TLS) but MCP_URL is http://: the metadata would name the wrong resource',
    );
    return;
  }
  const urls: [string, string | undefined][] = [
    ['MCP_URL', config.serverUrl],
    ['OIDC_ISSUER', config.mode === 'proxy' ? config.upstream?.issuer : config.issuers.find((i) => parseUrlStrict(i)?.protocol === 'http:')],
    ['OIDC_JWKS_URI', config.jwksUri],
  ];
  const loopbackHttp = urls.filter(([, url]) => url !== undefined && parseUrlStrict(url)?.protocol === 'http:').map(([name]) => name);
  const warnings = configWarnings(config);
  if (loopbackHttp.length > 0) {
    report.warn(
      'https',
      `${loopbackHttp.join(', ')} use${loopbackHttp.length === 1 ? 's' : ''} http on loopback: fine for local development only; NODE_ENV=production refuses http, and MCP clients on other machines cannot use it`,
    );
  } else if (!warnings.some((w) => w.check === 'https')) {
    report.ok('https', 'MCP_URL and the identity provider URLs use https');
  }
  // O3: the startup warnings, on their own lines.
  for (const warning of warnings) report.warn(warning.check, warning.text);
}

const RENEW_DAYS = 14;

const DAY_MS = 86_400_000;

/**
 * The pair the server would serve: ✘ when it cannot start with it (unreadable, key of another certificate;
 * in production also expired or not covering MCP_URL's host, which only warn in development), ⚠ when it
 * expires within 14 days, otherwise its names and expiry.
 */
export function checkCertificate(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): void {
  const certFile = env.HTTPS_CERT_FILE;
  const keyFile = env.HTTPS_KEY_FILE;
  if (!certFile || !keyFile) return;
  let pair: TlsCertificate;
  try {
    pair = readTlsCertificate({ certFile, keyFile });
  } catch (err) {
    const problems = err instanceof TlsCertificateError ? err.problems : [(err as Error).message];
    for (const problem of problems) report.fail('certificate', `${problem}: the server would not start`);
    return;
  }
  const names = pair.certificate.subjectAltName ?? 'no subjectAltName';
  const days = Math.floor((pair.validTo.getTime() - Date.now()) / DAY_MS);
  const problems = certificateProblems(pair.certificate, { hostname: config.resourceUrl.hostname });
  if (problems.length > 0) {
    const text = `${certFile}: ${problems.join('; ')}: clients refuse it`;
    if (config.production) report.fail('certificate', `${text}, and NODE_ENV=production does not start with it`);
    else report.warn('certificate', `${text} (a warning in development; NODE_ENV=production does not start with it)`);
    return;
  }
  const summary = `${certFile}: ${names}, valid until ${pair.validTo.toISOString()} (${days} day(s) left)`;
  if (days < RENEW_DAYS) {
    report.warn(
      'certificate',
      `${summary}: renew it now; a server that watches the files (watchTlsCertificate, as the example does) picks the new pair up without a restart`,
    );
  } else {
    report.ok('certificate', `${summary}; the key belongs to it and the names cover ${config.resourceUrl.hostname}`);
  }
}
