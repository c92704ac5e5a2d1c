import type { Provider } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_AUDIT_SINK } from '../oauth-mcp.internal-constants.js';
import type { AuditSink } from './audit-event.interface.js';
import { AuditService, LoggerAuditSink } from './audit.service.js';
import { RequestContextMiddleware } from './request-context.middleware.js';

export const auditProviders: Provider[] = [
  {
    provide: OAUTH_MCP_AUDIT_SINK,
    inject: [OAuthMcpConfigService],
    useFactory: ({ config }: OAuthMcpConfigService): AuditSink => config.auditSink ?? new LoggerAuditSink(),
  },
  AuditService,
  RequestContextMiddleware,
];
