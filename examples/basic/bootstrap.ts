import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, Logger, type LoggerService, ShutdownSignal } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import type { ExampleServerExtension } from './example-tools.js';
import { DEV_IDP } from './dev-idp.module.js';
import {
  MemoryStore,
  OAuthMcpConfigService,
  getOAuthMcpStoreToken,
  readTlsCertificate,
  type TlsCertificate,
  type TlsCertificateFiles,
  watchTlsCertificate,
} from 'nestjs-oauth-mcp';
import { type DevIdp } from 'nestjs-oauth-mcp/testing';

export interface ExampleServerOptions {
  /** Environment to read instead of `process.env` and `.env`. */
  env?: Record<string, string | undefined>;
  /** Nest logger: a `LoggerService` (tests capture the startup block with one), or `false` to silence. */
  logger?: LoggerService | false;
  /** More tools, resources or prompts on the MCP server (the tests add the conformance fixtures). */
  extend?: ExampleServerExtension;
}

/** What differs between the example apps when they start. @internal */
export interface ExampleServerSpec {
  module: DynamicModule;
  /** Runs after the app is created, before it listens (e.g. connecting an MCP microservice strategy). */
  beforeListen?: (app: INestApplication) => Promise<void>;
  /** The app serves `/health/live` and `/health/ready`. */
  health: boolean;
  /** Names the app in the startup block. */
  title: string;
}

/**
 * Creates and starts the example server on `MCP_HOST`:`MCP_PORT` (default 127.0.0.1:8080), over TLS when
 * `HTTPS_CERT_FILE` and `HTTPS_KEY_FILE` are both set; the certificate is then reloaded without a restart
 * (see `serveCertificate`).
 */
export function startExampleServer(options: ExampleServerOptions = {}): Promise<INestApplication> {
  return startServer({ module: AppModule.register(options.env, options.extend), health: true, title: 'nestjs-oauth-mcp example' }, options);
}

/** Creates, starts and announces an example app (the plain-SDK example and the @rekog/mcp-nest one). @internal */
export async function startServer(spec: ExampleServerSpec, options: ExampleServerOptions): Promise<INestApplication> {
  const env = options.env ?? process.env;
  const tls = exampleTlsSettings(env);
  // Read and paired before Nest creates the server: a bad pair is refused naming the file, not by OpenSSL.
  const initial = tls && readTlsCertificate(tls.files);
  const app = await NestFactory.create(spec.module, {
    abortOnError: false,
    logger: options.logger,
    httpsOptions: initial ? { cert: initial.cert, key: initial.key } : undefined,
  });
  try {
    if (tls && initial) serveCertificate(app, tls, initial);
    // Nest's default list includes SIGHUP, which here reloads the certificate instead of stopping the app.
    app.enableShutdownHooks(tls ? Object.values(ShutdownSignal).filter((s) => s !== ShutdownSignal.SIGHUP) : undefined);
    await spec.beforeListen?.(app);
    await app.listen(Number(env.MCP_PORT ?? 8080), env.MCP_HOST ?? '127.0.0.1');
  } catch (err) {
    await app.close();
    throw err;
  }
  if (options.logger !== false) logEndpoints(app, spec);
  return app;
}

interface ExampleTlsSettings {
  files: TlsCertificateFiles;
  intervalSeconds: number;
}

/** `HTTPS_CERT_FILE` + `HTTPS_KEY_FILE` (both, or plain http), and `HTTPS_RELOAD_INTERVAL_SECONDS` (default 60, 0 = SIGHUP only). */
export function exampleTlsSettings(env: Record<string, string | undefined>): ExampleTlsSettings | undefined {
  const certFile = env.HTTPS_CERT_FILE;
  const keyFile = env.HTTPS_KEY_FILE;
  if (!certFile || !keyFile) return undefined;
  const raw = env.HTTPS_RELOAD_INTERVAL_SECONDS?.trim() || '60';
  if (!/^\d{1,7}$/.test(raw)) throw new Error('HTTPS_RELOAD_INTERVAL_SECONDS must be a whole number of seconds (0 = reload only on SIGHUP)');
  return { files: { certFile, keyFile }, intervalSeconds: Number(raw) };
}

/**
 * Keeps the certificate current without a restart: the files are re-read every interval and on
 * SIGHUP, and a changed pair is swapped for new connections once it passes the checks. At start, an
 * expired certificate or one whose names do not cover MCP_URL's host stops a production server and is
 * a warning otherwise.
 */
function serveCertificate(app: INestApplication, tls: ExampleTlsSettings, initial: TlsCertificate): void {
  const { resourceUrl, production } = app.get(OAuthMcpConfigService).config;
  watchTlsCertificate(app.getHttpServer(), {
    ...tls.files,
    initial,
    hostname: resourceUrl.hostname,
    production,
    intervalMs: tls.intervalSeconds * 1000,
    signal: 'SIGHUP',
  });
}

/**
 * The startup block: mode, provider, issuer(s), every endpoint URL, then one warning line per risk
 * (plain http, a MemoryStore in proxy mode, the embedded dev IdP). Only URLs and names: never a secret.
 */
export function startupLines(app: INestApplication, spec: Pick<ExampleServerSpec, 'health' | 'title'>): { block: string; warnings: string[] } {
  const c = app.get(OAuthMcpConfigService).config;
  const devIdp = app.get<DevIdp | null>(DEV_IDP, { strict: false });
  const base = c.serverUrl;
  const rows: [string, string][] = [];
  if (c.mode === 'proxy') {
    rows.push(['Issuer (this server)', c.issuer ?? base], ['Upstream issuer', c.upstream?.issuer ?? '(none)']);
  } else {
    rows.push(['Issuer', c.issuers.join(', ') || '(none: any issuer, hmac)'], ['Audience', c.audiences.join(', ')]);
  }
  rows.push(['MCP endpoint', c.resource], ['Protected resource metadata', c.resourceMetadataUrl]);
  rows.push([
    'Browser origins',
    `${c.allowedOrigins.join(', ')}${c.developmentOrigins ? ' (development default: this server and the MCP Inspector; OAUTH_ALLOWED_ORIGINS sets them)' : ''}`,
  ]);
  if (c.mode === 'proxy') {
    rows.push(
      ['Authorization server metadata', `${base}/.well-known/oauth-authorization-server`],
      ['Authorize', `${base}/oauth/authorize`],
      ['Token', `${base}/oauth/token`],
      ['Register', `${base}/oauth/register`],
      ['Revoke', `${base}/oauth/revoke`],
      ['Upstream callback', c.callbackUrl],
      ['JWKS', `${base}/.well-known/jwks.json`],
    );
    if (c.idJag) rows.push(['ID-JAG issuers', c.idJag.issuers.map((i) => i.issuer).join(', ')]);
    const machines = c.staticClients.filter((client) => client.grant_types?.includes('client_credentials')).map((client) => client.client_id);
    if (machines.length > 0) rows.push(['Machine clients', machines.join(', ')]);
  }
  if (spec.health) rows.push(['Health', `${base}/health/live, ${base}/health/ready`]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  const block = [`${spec.title}: mode ${c.mode}, provider ${c.provider}`, ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`)].join(
    '\n',
  );

  const warnings: string[] = [];
  const listenWarning = listenAddressWarning(c.resourceUrl, app.getHttpServer().address() as AddressInfo | null);
  if (listenWarning) warnings.push(listenWarning);
  if (c.resourceUrl.protocol === 'http:') {
    warnings.push('Serving over http: fine on loopback for development, never in production (set an https MCP_URL).');
  }
  if (c.mode === 'proxy' && app.get(getOAuthMcpStoreToken(), { strict: false }) instanceof MemoryStore) {
    warnings.push(
      'Proxy-mode state (clients, grants, refresh tokens, signing key) is in a MemoryStore: lost on restart and not shared between replicas; run a single replica, or set REDIS_URL (or the `store` option).',
    );
  }
  if (devIdp) {
    warnings.push(`Embedded development IdP at ${devIdp.issuer} (any user name signs in). DEVELOPMENT ONLY: set OAUTH_PROVIDER for real use.`);
  }
  return { block, warnings };
}

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * A loopback MCP_URL that names another host spelling or port than the server listens on: clients
 * then connect to one and are told (by the metadata) the other, and the SDK's resource check fails
 * ("Protected resource … does not match"); `localhost` may also resolve to ::1 where nothing listens.
 * A non-loopback MCP_URL is left alone: a reverse proxy in front is the usual reason it differs.
 */
export function listenAddressWarning(resource: URL, bound: AddressInfo | null): string | undefined {
  if (!bound || !['localhost', '127.0.0.1', '[::1]'].includes(resource.hostname)) return undefined;
  const urlHost = resource.hostname.replace(/^\[|\]$/g, '');
  const urlPort = Number(resource.port || (resource.protocol === 'https:' ? 443 : 80));
  const hostDiffers = !WILDCARD.has(bound.address) && urlHost !== bound.address;
  if (!hostDiffers && urlPort === bound.port) return undefined;
  const listening = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  return (
    `MCP_URL (${resource.origin}) and the listen address (${listening}) differ: MCP clients must use exactly ${resource.href}. ` +
    `One pointed at another host name or port fails its resource check ("Protected resource … does not match"), and "localhost" may resolve to ::1 where nothing listens. ` +
    'Make MCP_URL and MCP_HOST/MCP_PORT agree (or leave MCP_URL unset).'
  );
}

function logEndpoints(app: INestApplication, spec: ExampleServerSpec): void {
  const logger = new Logger('OAuthMcp');
  const { block, warnings } = startupLines(app, spec);
  logger.log(block);
  for (const warning of warnings) logger.warn(warning);
}
