/** Every client-visible `error_description` of the guard, in one place. None embeds request data. */
export const TOKEN_MESSAGES = {
  missing: 'Bearer token required',
  malformedHeader: 'The Authorization header is not a valid Bearer credential',
  tooLarge: 'The access token is too large',
  malformed: 'The access token is malformed',
  unsupportedHeader: 'The access token uses an unsupported JOSE header',
  algorithm: 'The access token is signed with an algorithm that is not accepted',
  signature: 'The access token signature is invalid',
  expired: 'The access token expired',
  notYetValid: 'The access token is not yet valid',
  issuer: 'The access token was issued by an issuer that is not accepted',
  audience: 'The access token was not issued for this resource',
  claims: 'The access token is missing a required claim',
  type: 'The access token type is not accepted',
  unknownKey: 'The access token is signed with an unknown key',
  invalid: 'The access token is invalid',
  multipleMethods: 'Only one method of presenting the access token may be used',
} as const;
