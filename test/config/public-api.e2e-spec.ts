import * as health from '../../src/health/index.js';
import * as root from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

/**
 * The package's public surface, frozen (issue 10): a change to what an application can import is a
 * deliberate edit of this list, reviewed as an API change. Types are checked by the consumer test,
 * which compiles the README against the published declarations.
 */
describe('public API', () => {
  it('nestjs-oauth-mcp exports exactly these values', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'AccessDeniedError',
        'AuditService',
        'ConnectedAppsService',
        'CurrentUser',
        'DiscoveryIssuerMismatchError',
        'DuplicateAuthorizationHeaderError',
        'EndpointNotFoundError',
        'IS_PUBLIC_KEY',
        'InjectOAuthMcpOptions',
        'InjectOAuthMcpStore',
        'InsufficientScopeError',
        'InvalidClientError',
        'InvalidClientMetadataError',
        'InvalidDpopProofError',
        'InvalidGrantError',
        'InvalidRedirectUriError',
        'InvalidRequestError',
        'InvalidScopeError',
        'InvalidTargetError',
        'InvalidTokenError',
        'JwtAuthGuard',
        'LoggerAuditSink',
        'McpAuthGuard',
        'McpBody',
        'McpBodyError',
        'MemoryStore',
        'MethodNotAllowedError',
        'OAUTH_MODES',
        'OAUTH_PROVIDERS',
        'OAuthError',
        'OAuthExceptionFilter',
        'OAuthMcpConfigError',
        'OAuthMcpConfigService',
        'OAuthMcpModule',
        'OriginNotAllowedError',
        'Public',
        'REQUIRED_SCOPES_KEY',
        'REQUIRED_TOOL_SCOPES_KEY',
        'RequireScopes',
        'RequireToolScopes',
        'ServerError',
        'TemporarilyUnavailableError',
        'TlsCertificateError',
        'TlsCertificateReloader',
        'TokenVerifier',
        'TooManyRequestsError',
        'UnauthorizedClientError',
        'UnsupportedGrantTypeError',
        'UnsupportedResponseTypeError',
        'UnsupportedTokenTypeError',
        'UpstreamError',
        'UpstreamTokenService',
        'UseDpopNonceError',
        'certificateProblems',
        'describeTlsCertificate',
        'getOAuthMcpOptionsToken',
        'getOAuthMcpStoreToken',
        'oauthMcpOptionsFromEnv',
        'oauthMcpUserFromClaims',
        'readTlsCertificate',
        'watchTlsCertificate',
      ].sort(),
    );
  });

  it('nestjs-oauth-mcp/testing and nestjs-oauth-mcp/health export exactly these values', () => {
    expect(Object.keys(testing).sort()).toEqual(['MemoryOAuthClientProvider', 'freePort', 'headlessLogin', 'mintTestToken', 'signInWithDevIdp', 'startDevIdp']);
    expect(Object.keys(health).sort()).toEqual(['OAuthMcpHealthIndicator']);
  });
});
