import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { OAUTH_MCP_AUDIT_SINK } from '../oauth-mcp.internal-constants.js';
import type { AuditEvent, AuditSink } from './audit-event.interface.js';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { clientIp, type PeerRequest } from '../http/client-ip.js';
import { type RequestContext, requestContext, requestIdFrom } from './request-context.js';

/** The default sink: one JSON line per event through Nest's Logger. */
export class LoggerAuditSink implements AuditSink {
  private readonly logger = new Logger('OAuthMcp:Audit');

  emit(event: AuditEvent): void {
    this.logger.log(JSON.stringify(event));
  }
}

/**
 * Emits audit events with the time and the request's id and IP filled in. A failing sink is logged,
 * never propagated: auditing must not break sign-in.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('OAuthMcp:Audit');

  constructor(
    @Optional() @Inject(OAUTH_MCP_AUDIT_SINK) private readonly sink: AuditSink = new LoggerAuditSink(),
    @Optional() private readonly configService?: OAuthMcpConfigService,
  ) {}

  /**
   * `req`: the request behind the event, for routes outside the module's own paths (the global guard
   * on an application route), where no request context was opened.
   */
  emit(event: Omit<AuditEvent, 'time' | 'requestId' | 'ip'>, req?: PeerRequest): void {
    const context: RequestContext | undefined =
      requestContext.getStore() ??
      (req ? { requestId: requestIdFrom(req.headers['x-request-id']), ip: clientIp(req, this.configService?.config.trustProxyHops ?? 0) } : undefined);
    const full: AuditEvent = { ...event, time: new Date().toISOString(), ...(context ? { requestId: context.requestId, ip: context.ip } : {}) };
    try {
      void Promise.resolve(this.sink.emit(full)).catch(() => this.logger.error('Audit sink failed'));
    } catch {
      this.logger.error('Audit sink failed');
    }
  }
}
