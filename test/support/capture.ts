import { Controller, type INestApplication, Logger, type LoggerService, Module, Post, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AuditEvent, AuditSink } from '../../src/audit/audit-event.interface.js';
import { MemoryStore } from '../../src/store/memory.store.js';
import type { DevIdp } from '../../src/dev-idp/dev-idp.js';
import { CurrentUser, McpAuthGuard, OAuthMcpModule, type OAuthMcpModuleOptions, type OAuthMcpProxyOptions } from '../../src/index.js';
import { freePort } from './free-port.js';
import type { ProxyFixture } from './proxy-fixture.js';

export type LogLevel = 'log' | 'warn' | 'error' | 'debug' | 'verbose' | 'fatal';

export interface LogEntry {
  level: LogLevel;
  /** The message and every optional parameter (context, stack), as text. */
  text: string;
  /** The message alone. */
  message: string;
  /** Nest's logger context (the last string parameter), when given. */
  context?: string;
}

/**
 * A LoggerService that records every entry at every level, with all its parameters (a stack or an
 * object passed next to the message is recorded too, serialised).
 */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];

  private add(level: LogLevel, message: unknown, params: unknown[]): void {
    const text = [message, ...params]
      .map((p) => (typeof p === 'string' ? p : p instanceof Error ? `${p.name}: ${p.message}\n${p.stack}` : safeJson(p)))
      .join(' | ');
    const context = params.at(-1);
    this.entries.push({ level, text, message: String(message), context: typeof context === 'string' ? context : undefined });
  }
  log(message: unknown, ...params: unknown[]) {
    this.add('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.add('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.add('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.add('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.add('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.add('fatal', message, params);
  }
  text(): string {
    return this.entries.map((e) => `[${e.level}] ${e.text}`).join('\n');
  }
  /** The entries logged under one Nest context (e.g. `OAuthMcp`: the example's startup block and warnings). */
  forContext(context: string): LogEntry[] {
    return this.entries.filter((e) => e.context === context);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** An AuditSink that keeps every event. */
export class CapturingAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  emit(event: AuditEvent): void {
    this.events.push(event);
  }
  text(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n');
  }
}

@UseGuards(McpAuthGuard)
@Controller('mcp')
class CapturedMcpController {
  @Post()
  call(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/**
 * The proxy fixture of proxy-fixture.ts, but in front of any upstream (the dev IdP or a stand-in
 * with chosen secrets) and with a logger: the app, the module (`logger` option) and Nest's static
 * Logger all write to `logger`, at every level.
 */
export async function startCapturedProxy(
  upstream: Pick<DevIdp, 'issuer' | 'jwksUri' | 'proxyClient' | 'close'>,
  logger: LoggerService,
  overrides: Partial<OAuthMcpProxyOptions> = {},
): Promise<ProxyFixture> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const store = new MemoryStore();
  const options: OAuthMcpProxyOptions = {
    mode: 'proxy',
    provider: 'oidc',
    issuer: upstream.issuer,
    clientId: upstream.proxyClient!.clientId,
    clientSecret: upstream.proxyClient!.clientSecret,
    serverUrl: base,
    scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    store,
    rateLimits: false,
    // As in startCapturedNative: every per-failure line is written, for the scans to read.
    failedAuthThrottle: false,
    logger,
    staticClients: [{ client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'], client_name: 'Native App' }],
    ...overrides,
  };
  @Module({ imports: [OAuthMcpModule.forRoot(options)], controllers: [CapturedMcpController] })
  class CapturedProxyModule {}
  Logger.overrideLogger(logger);
  const moduleRef = await Test.createTestingModule({ imports: [CapturedProxyModule] })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.listen(port, '127.0.0.1');
  return {
    app,
    idp: upstream as DevIdp,
    store,
    base,
    origin: base,
    resource: `${base}/mcp`,
    close: () => app.close(),
  };
}

/** A native-mode app (module + guarded /mcp + a JSON probe) with a logger at every level. */
export async function startCapturedNative(options: OAuthMcpModuleOptions, logger: LoggerService): Promise<{ app: INestApplication; base: string }> {
  // Failed-auth throttling off: the leak scans want every per-failure line written, not the bounded summary (L144).
  @Module({ imports: [OAuthMcpModule.forRoot({ failedAuthThrottle: false, ...options, logger })], controllers: [CapturedMcpController] })
  class CapturedNativeModule {}
  Logger.overrideLogger(logger);
  const moduleRef = await Test.createTestingModule({ imports: [CapturedNativeModule] })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}` };
}
