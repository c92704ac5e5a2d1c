import { jest } from '@jest/globals';
import { OAuthErrorResponder } from '../../src/http/oauth-error.responder.js';
import { type ProxyFixture, startProxyFixture } from '../support/proxy-fixture.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';

/**
 * Issue 17: every OAuth error response of every route leaves through OAuthErrorResponder (guards,
 * controllers, metadata middleware, body-parse failures). Each case below is driven over HTTP; the
 * responder's `send` or `applyHeaders` must have run for it, and the response carries what only the
 * exit writes: security headers, `no-store` and `Pragma: no-cache`, and the `{ error, error_description }` body.
 */
describe('one exit for OAuth errors', () => {
  let f: ProxyFixture;
  let responder: OAuthErrorResponder;

  beforeAll(async () => {
    f = await startProxyFixture();
    responder = f.app.get(OAuthErrorResponder);
  });
  afterAll(() => f.close());

  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const cases: [label: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string }, status: number, error: string][] = [
    ['PRM, wrong method', '/.well-known/oauth-protected-resource', { method: 'POST' }, 405, 'invalid_request'],
    ['AS metadata, wrong method', '/.well-known/oauth-authorization-server', { method: 'DELETE' }, 405, 'invalid_request'],
    ['JWKS, wrong method', '/.well-known/jwks.json', { method: 'PUT' }, 405, 'invalid_request'],
    ['authorize, wrong method', '/oauth/authorize', { method: 'POST' }, 405, 'invalid_request'],
    ['consent, wrong method', '/oauth/consent', { method: 'GET' }, 405, 'invalid_request'],
    ['callback, wrong method', '/oauth/callback', { method: 'POST' }, 405, 'invalid_request'],
    [
      'token, bad grant',
      '/oauth/token',
      { method: 'POST', headers: form, body: 'grant_type=refresh_token&refresh_token=x&client_id=native-app' },
      400,
      'invalid_grant',
    ],
    [
      'token, unknown grant type',
      '/oauth/token',
      { method: 'POST', headers: form, body: 'grant_type=password&client_id=native-app' },
      400,
      'unsupported_grant_type',
    ],
    ['token, unparsable body', '/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }, 400, 'invalid_request'],
    [
      'token, Basic with a wrong secret',
      '/oauth/token',
      {
        method: 'POST',
        headers: { ...form, authorization: `Basic ${Buffer.from('web-app:nope').toString('base64')}` },
        body: 'grant_type=refresh_token&refresh_token=x',
      },
      401,
      'invalid_client',
    ],
    [
      'register, bad metadata',
      '/oauth/register',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":["http://evil.example/cb"]}' },
      400,
      'invalid_redirect_uri',
    ],
    [
      'register, unparsable body',
      '/oauth/register',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[' },
      400,
      'invalid_client_metadata',
    ],
    ['revoke, unknown client', '/oauth/revoke', { method: 'POST', headers: form, body: 'token=x&client_id=nobody' }, 400, 'invalid_client'],
    ['MCP guard, no token', '/mcp', { method: 'POST' }, 401, 'invalid_token'],
    ['MCP guard, bad token', '/mcp', { method: 'POST', headers: { authorization: 'Bearer a.b.c' } }, 401, 'invalid_token'],
  ];

  it.each(cases)('%s: its error leaves through the responder', async (_label, path, init, status, error) => {
    const send = jest.spyOn(responder, 'send');
    const headers = jest.spyOn(responder, 'applyHeaders');
    let res: RawResponse;
    let exits: number;
    try {
      res = await rawRequest(`${f.base}${path}`, init);
      exits = send.mock.calls.length + headers.mock.calls.length;
    } finally {
      send.mockRestore();
      headers.mockRestore();
    }
    expect(exits).toBeGreaterThan(0);
    expect({ status: res.status, error: JSON.parse(res.body).error }).toEqual({ status, error });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(Object.keys(JSON.parse(res.body)).sort()).toEqual(['error', 'error_description']);
  });
});
