import { checkServerUrl, isLoopbackHostname, parseUrlStrict } from './url-rules.js';

describe('url rules', () => {
  it('accepts https anywhere and http only on loopback literals (dev)', () => {
    expect(checkServerUrl('https://idp.example.com', false)).toBeUndefined();
    expect(checkServerUrl('http://localhost:3000', false)).toBeUndefined();
    expect(checkServerUrl('http://127.0.0.1:3000', false)).toBeUndefined();
    expect(checkServerUrl('http://[::1]:3000', false)).toBeUndefined();
    expect(checkServerUrl('http://idp.example.com', false)).toBe('insecure');
  });

  it('N133 refuses loopback http in production', () => {
    expect(checkServerUrl('http://localhost:3000', true)).toBe('insecure-production');
    expect(checkServerUrl('https://localhost:3000', true)).toBeUndefined();
  });

  it('refuses fragments, queries, credentials, wildcards and non-http schemes', () => {
    expect(checkServerUrl('https://idp.example.com#x', false)).toBe('fragment');
    expect(checkServerUrl('https://idp.example.com#', false)).toBe('fragment');
    expect(checkServerUrl('https://idp.example.com?x=1', false)).toBe('query');
    expect(checkServerUrl('https://u:p@idp.example.com', false)).toBe('credentials');
    expect(checkServerUrl('https://*.example.com', false)).toBe('wildcard');
    expect(checkServerUrl('ftp://idp.example.com', false)).toBe('not-http');
    expect(checkServerUrl('not a url', false)).toBe('unparseable');
  });

  it('D48 fake loopbacks are not loopback', () => {
    for (const host of ['LOCALHOST', '127.1', '0x7f000001', '127.0.0.2', '0.0.0.0', 'localhost.', '[::ffff:127.0.0.1]']) {
      expect(isLoopbackHostname(host)).toBe(false);
    }
  });

  it('rejects control characters and backslashes instead of letting the parser strip them', () => {
    expect(parseUrlStrict('https://a.example/c\tb')).toBeUndefined();
    expect(parseUrlStrict('https://a.example/c\nb')).toBeUndefined();
    expect(parseUrlStrict('https:\\\\evil.com')).toBeUndefined();
    expect(parseUrlStrict('https://a.example/cb')?.href).toBe('https://a.example/cb');
  });
});
