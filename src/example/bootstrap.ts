import { readFileSync } from 'node:fs';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { AppModule } from './app.module.js';

export interface ExampleServerOptions {
  /** Environment to read instead of `process.env` and `.env`. */
  env?: Record<string, string | undefined>;
  /** Nest logger setting (`false` to silence). */
  logger?: false;
}

/**
 * Creates and starts the example server on `MCP_HOST`:`MCP_PORT` (default 127.0.0.1:8080), over TLS when
 * `HTTPS_CERT_FILE` and `HTTPS_KEY_FILE` are both set.
 */
export async function startExampleServer(options: ExampleServerOptions = {}): Promise<INestApplication> {
  const env = options.env ?? process.env;
  const cert = env.HTTPS_CERT_FILE;
  const key = env.HTTPS_KEY_FILE;
  const app = await NestFactory.create(AppModule.register(options.env), {
    abortOnError: false,
    logger: options.logger,
    httpsOptions: cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : undefined,
  });
  app.enableShutdownHooks();
  await app.listen(Number(env.MCP_PORT ?? 8080), env.MCP_HOST ?? '127.0.0.1');
  if (options.logger !== false) logEndpoints(app);
  return app;
}

function logEndpoints(app: INestApplication): void {
  const c = app.get(OAuthMcpConfigService).config;
  const logger = new Logger('OAuthMcp');
  logger.log(
    [
      `mode=${c.mode} provider=${c.provider} issuer=${c.issuers.join(', ') || '(none)'}`,
      `MCP endpoint:                ${c.resource}`,
      `Protected resource metadata: ${c.resourceMetadataUrl}`,
    ].join('\n'),
  );
  if (c.resourceUrl.protocol === 'http:') logger.warn('Serving over http: fine on loopback for development, never in production.');
}
