/**
 * `nestjs-oauth-mcp/testing`: end-to-end test helpers for applications using the module. Start the
 * embedded dev IdP, sign in like an MCP client, or mint HMAC tokens; never import it in production code.
 */
export type { DevIdp, DevIdpOptions } from '../dev-idp/dev-idp.js';
export { startDevIdp } from './start-dev-idp.js';
export { headlessLogin, type HeadlessLoginOptions } from '../dev-idp/headless-login.js';
export { MemoryOAuthClientProvider } from './memory-client-provider.js';
export { mintTestToken, type MintTestTokenOptions } from './mint-test-token.js';
export { signInWithDevIdp, type DevIdpSignInOptions } from './sign-in.js';
export { freePort } from './free-port.js';
