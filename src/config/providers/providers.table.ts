import type { OAuthProviderName } from '../oauth-mcp-options.interface.js';
import { AZURE_PROVIDER } from './azure.provider.js';
import { GOOGLE_PROVIDER } from './google.provider.js';
import { HMAC_PROVIDER } from './hmac.provider.js';
import { OIDC_PROVIDER } from './oidc.provider.js';
import { OKTA_PROVIDER } from './okta.provider.js';
import type { OAuthProviderDefinition } from './provider-definition.interface.js';

/** The identity providers: adding one is a file beside this one and a line here (plus its strategy's line). */
export const PROVIDERS: Readonly<Record<OAuthProviderName, OAuthProviderDefinition>> = {
  hmac: HMAC_PROVIDER,
  okta: OKTA_PROVIDER,
  google: GOOGLE_PROVIDER,
  azure: AZURE_PROVIDER,
  oidc: OIDC_PROVIDER,
};

/** The definition of a validated provider name, or undefined for anything else (before validation). */
export function providerDefinition(name: unknown): OAuthProviderDefinition | undefined {
  return typeof name === 'string' && Object.hasOwn(PROVIDERS, name) ? PROVIDERS[name as OAuthProviderName] : undefined;
}
