import type { OAuthMode } from './oauth-mcp-options.interface.js';

/** What the module mounts, fixed when it is defined (`forRoot` options, or `forRootAsync`'s static fields). @internal */
export interface ModuleShape {
  mode: OAuthMode;
  rootAliases: boolean;
  requestIdHeader: boolean;
}
