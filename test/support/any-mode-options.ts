import type { OAuthMcpCommonOptions, OAuthMcpModuleOptions, OAuthMcpProxyOnlyOptions, OAuthMode } from '../../src/index.js';

/**
 * Any field of either mode, unchecked by the compiler: for tests that hand the module what an untyped
 * source (the environment, JavaScript) could, to see what bootstrap does with it.
 */
export type AnyModeOptions = Partial<OAuthMcpCommonOptions & OAuthMcpProxyOnlyOptions> & { mode?: OAuthMode };

export const anyMode = (options: AnyModeOptions): OAuthMcpModuleOptions => options as OAuthMcpModuleOptions;
