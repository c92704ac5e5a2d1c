import jsonwebtoken from 'jsonwebtoken';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { InvalidTokenError, OAuthError } from '../../errors/oauth.errors.js';

const { JsonWebTokenError, NotBeforeError, TokenExpiredError } = jsonwebtoken;

/** How telling a strategy's failure is; the lowest wins when several strategies were tried. */
function precision(reason: unknown): number {
  if (reason instanceof OAuthError) return reason.description === TOKEN_MESSAGES.malformed ? 5 : 0;
  if (reason instanceof TokenExpiredError || reason instanceof NotBeforeError) return 1;
  // By now the header, alg and key passed our rules: jsonwebtoken refuses the signature (or a signed
  // token whose exp/nbf is not a number).
  if (reason instanceof JsonWebTokenError) return 2;
  // jsonwebtoken throws these on a payload it cannot read (a signed `null`).
  if (reason instanceof SyntaxError || reason instanceof TypeError) return 4;
  // An application strategy's own failure (a challenge string, a plain Error): says nothing we can pass on.
  return 3;
}

function fromReason(reason: unknown): OAuthError {
  if (reason instanceof OAuthError) return reason;
  if (reason instanceof TokenExpiredError) return new InvalidTokenError(TOKEN_MESSAGES.expired);
  if (reason instanceof NotBeforeError) return new InvalidTokenError(TOKEN_MESSAGES.notYetValid);
  if (reason instanceof JsonWebTokenError) return new InvalidTokenError(TOKEN_MESSAGES.signature);
  if (reason instanceof SyntaxError || reason instanceof TypeError) return new InvalidTokenError(TOKEN_MESSAGES.malformed);
  return new InvalidTokenError(TOKEN_MESSAGES.invalid);
}

/**
 * The refusal for what the strategies reported (one failure per strategy tried, or one strategy's
 * error), decided by each error's type, never its message: our own rules' errors as they are, then
 * jsonwebtoken's time errors, then its signature error. A JWT's "malformed" gives way to what an
 * application strategy said about a token that was never meant to be a JWT.
 */
export function refusalFor(reported: unknown): OAuthError {
  const reasons = Array.isArray(reported) ? reported : [reported];
  let best: unknown = undefined;
  let bestPrecision = Number.POSITIVE_INFINITY;
  for (const reason of reasons) {
    const p = precision(reason);
    if (p < bestPrecision) [best, bestPrecision] = [reason, p];
  }
  return fromReason(best);
}
