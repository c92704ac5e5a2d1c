import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { OAUTH_MCP_AUDIT_SINK } from '../oauth-mcp.internal-constants.js';
import type { AuditEvent, AuditSink } from './audit-event.interface.js';
import { requestContext } from './request-context.js';

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

  constructor(@Optional() @Inject(OAUTH_MCP_AUDIT_SINK) private readonly sink: AuditSink = new LoggerAuditSink()) {}

  emit(event: Omit<AuditEvent, 'time' | 'requestId' | 'ip'>): void {
    const context = requestContext.getStore();
    const full: AuditEvent = { ...event, time: new Date().toISOString(), ...(context ? { requestId: context.requestId, ip: context.ip } : {}) };
    try {
      void Promise.resolve(this.sink.emit(full)).catch(() => this.logger.error('Audit sink failed'));
    } catch {
      this.logger.error('Audit sink failed');
    }
  }
}
