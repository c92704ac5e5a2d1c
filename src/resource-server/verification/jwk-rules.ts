/** A JWK as published in a JWKS (RFC 7517 §4); only the members the module reads. */
export interface PublicJwk {
  kty?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  key_ops?: unknown;
  crv?: unknown;
  n?: unknown;
  [member: string]: unknown;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/**
 * Whether a published key may ever verify a signature: a public RSA or EC key, meant for signatures
 * (`use` and `key_ops`), (the RSA size is checked on import). Keys carrying private or
 * symmetric material are never used.
 */
export function isUsableVerificationKey(jwk: PublicJwk): boolean {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) return false;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return false;
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return false;
  return true;
}

const EC_CURVE_BY_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Whether a usable key fits the token's `alg` (key type, curve and, when published, the key's own `alg`). */
export function keyFitsAlgorithm(jwk: PublicJwk, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg.startsWith('ES')) return jwk.kty === 'EC' && jwk.crv === EC_CURVE_BY_ALG[alg];
  return false;
}

/** Smallest RSA modulus accepted (RFC 8725 §3.5). */
export const MIN_RSA_BITS = 2048;

/** Bit length of an RSA modulus published as base64url `n` (leading zero bytes ignored). */
function rsaModulusBits(n: unknown): number {
  if (typeof n !== 'string') return 0;
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + bytes[i].toString(2).length;
}

/** RSA keys under 2048 bits never verify; EC keys are sized by their curve. */
export function meetsMinimumKeySize(jwk: PublicJwk): boolean {
  return jwk.kty !== 'RSA' || rsaModulusBits(jwk.n) >= MIN_RSA_BITS;
}
