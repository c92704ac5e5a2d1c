import type { DevIdp, DevIdpOptions } from '../dev-idp/dev-idp.js';
import { importWithPeer } from './optional-peer.js';

/**
 * Starts the embedded development IdP (oidc-provider on loopback). oidc-provider is an optional peer,
 * loaded only here: importing the kit for `mintTestToken` alone does not load it.
 * @publicApi
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const { startDevIdp: start } = await importWithPeer(() => import('../dev-idp/dev-idp.js'), 'oidc-provider', 'startDevIdp');
  return start(options);
}
