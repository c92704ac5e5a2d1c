import * as oidc from 'openid-client';
import type { EnterpriseApp, EnterpriseIdp } from './enterprise-idp.js';

/**
 * An MCP client's single sign-on at the enterprise IdP, done by a real OpenID Connect client
 * (openid-client: discovery, PKCE S256, state, nonce, ID token validation): the step before
 * Cross App Access. Returns the verified ID token.
 */
export async function signInAtEnterpriseIdp(idp: EnterpriseIdp, app: EnterpriseApp, username: string): Promise<string> {
  const config = await oidc.discovery(new URL(idp.issuer), app.clientId, app.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: username,
  });
  const res = await fetch(url, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`the enterprise IdP answered ${res.status} to the sign-in`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(res.headers.get('location')!), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return tokens.id_token!;
}
