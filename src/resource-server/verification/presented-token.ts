/**
 * The bearer token `TokenVerifier` took from each request it is verifying (strict RFC 6750 rules, once
 * per request), read back by passport-jwt's `jwtFromRequest`: the strategies see exactly the credential
 * the verifier checked, hashed and will cache, from the same request object.
 */
const PRESENTED = Symbol('oauth-mcp:presented-token');

type Presenting = { [PRESENTED]?: string };

export function presentBearerToken(req: object, token: string): void {
  (req as Presenting)[PRESENTED] = token;
}

export function presentedBearerToken(req: object): string | undefined {
  return (req as Presenting)[PRESENTED];
}
