import { InvalidRequestError, InvalidTokenError } from '../../errors/oauth.errors.js';
import { extractBearerToken } from './bearer-token.extractor.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
const req = (authorization?: string, extra: object = {}) => ({ headers: { authorization }, ...extra });

describe('extractBearerToken', () => {
  it('reads the header, scheme case-insensitive', () => {
    expect(extractBearerToken(req(`Bearer ${JWT}`), 8192)).toBe(JWT);
    expect(extractBearerToken(req(`bearer ${JWT}`), 8192)).toBe(JWT);
    expect(extractBearerToken(req(`BEARER ${JWT}`), 8192)).toBe(JWT);
  });

  it('A1 a missing header is flagged as missing (no error code in the challenge)', () => {
    const err = (() => {
      try {
        extractBearerToken(req(), 8192);
      } catch (e) {
        return e;
      }
    })() as InvalidTokenError;
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect(err.missing).toBe(true);
  });

  it.each([
    ['Basic dXNlcjpwYXNz'],
    ['Bearer'],
    ['Bearer '],
    ['Bearer a b'],
    [`Bearertoken`],
    [`Bearer  ${JWT}`],
    [`Bearer ${JWT} `],
    ['Bearer a.b'],
    ['Bearer a.b.c.d'],
    ['Bearer a.b.c.d.e'],
    ['Bearer a=.b.c'],
    ['Bearer a+b.c.d'],
    ['Bearer a/b.c.d'],
    ['Bearer añ.b.c'],
    ['Bearer a.b.'],
  ])('A2/A18 %j is a 401, never a crash', (header) => {
    expect(() => extractBearerToken(req(header), 8192)).toThrow(InvalidTokenError);
  });

  it('A24 refuses an oversized token before looking at it', () => {
    expect(() => extractBearerToken(req(`Bearer ${'a'.repeat(9000)}.b.c`), 8192)).toThrow('too large');
  });

  it('A3 a token also in the query or body is 400 invalid_request', () => {
    expect(() => extractBearerToken(req(`Bearer ${JWT}`, { query: { access_token: 'x' } }), 8192)).toThrow(InvalidRequestError);
    expect(() => extractBearerToken(req(`Bearer ${JWT}`, { body: { access_token: 'x' } }), 8192)).toThrow(InvalidRequestError);
  });

  it('refuses a repeated Authorization header delivered as an array', () => {
    expect(() => extractBearerToken({ headers: { authorization: [JWT, JWT] } }, 8192)).toThrow(InvalidTokenError);
  });
});
