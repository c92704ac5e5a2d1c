/**
 * The bearer token `TokenVerifier` took from each request it is verifying (strict RFC 6750 rules, once
 * per request), read back by passport-jwt's `jwtFromRequest`: the strategies see exactly the credential
 * the verifier checked, hashed and will cache, from the same request object.
 */
const presented = new WeakMap<object, string>();

export function presentBearerToken(req: object, token: string): void {
  presented.set(req, token);
}

export function presentedBearerToken(req: object): string | undefined {
  return presented.get(req);
}
