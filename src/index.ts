export { OAuthMcpModule } from './oauth-mcp.module.js';
export { getOAuthMcpOptionsToken, getOAuthMcpStoreToken, InjectOAuthMcpOptions, InjectOAuthMcpStore } from './oauth-mcp.injection.js';
export { IS_PUBLIC_KEY, REQUIRED_SCOPES_KEY, REQUIRED_TOOL_SCOPES_KEY } from './oauth-mcp.constants.js';
export { OAuthMcpConfigService } from './config/oauth-mcp-config.service.js';
export type { ResolvedOAuthMcpConfig } from './config/resolved-config.interface.js';
export { oauthMcpOptionsFromEnv, type EnvSource } from './config/options-from-env.js';
export { JwtAuthGuard } from './resource-server/guards/jwt-auth.guard.js';
export { McpAuthGuard } from './resource-server/guards/mcp-auth.guard.js';
export { TokenVerifier, type VerifiedCaller } from './resource-server/verification/token-verifier.service.js';
export { DiscoveryIssuerMismatchError } from './resource-server/verification/oidc-discovery.js';
export { UpstreamTokenService } from './authorization-server/upstream/upstream-token.service.js';
export { ConnectedAppsService, type ConnectedApp, type RevokedBy } from './authorization-server/connected-apps/connected-apps.service.js';
export type { OAuthMcpStore } from './store/oauth-mcp-store.interface.js';
export { MemoryStore } from './store/memory.store.js';
export * from './resource-server/decorators/index.js';
export * from './errors/index.js';
export * from './config/oauth-mcp-options.interface.js';
export type * from './config/access-policy.interface.js';
export * from './resource-server/oauth-mcp-user.interface.js';
export { oauthMcpUserFromClaims } from './resource-server/strategies/token-claims.js';
export type { AuditEvent, AuditEventType, AuditSink } from './audit/audit-event.interface.js';
export { AuditService, LoggerAuditSink } from './audit/audit.service.js';
export { OAuthExceptionFilter } from './http/oauth-exception.filter.js';
export { readTlsCertificate, describeTlsCertificate, type TlsCertificate, type TlsCertificateFiles } from './tls/tls-certificate.js';
export { certificateProblems, type CertificateExpectations } from './tls/certificate-rules.js';
export {
  watchTlsCertificate,
  TlsCertificateReloader,
  type TlsContextServer,
  type TlsReloadResult,
  type WatchTlsCertificateOptions,
} from './tls/tls-certificate-reloader.js';
