import { findRegisteredRedirectUri, redirectUriProblem } from './redirect-uri.policy.js';

const rules = { allowedSchemes: ['cursor'], allowlist: [] };
const REG = ['https://app.example.com/callback'];

describe('redirect URI policy', () => {
  it.each([
    'https://app.example.com/callback',
    'http://127.0.0.1/callback',
    'http://localhost:3334/oauth/callback',
    'http://[::1]/callback',
    'cursor://anysphere.cursor-retrieval/oauth/user-mcp/callback',
  ])('accepts %s', (uri) => expect(redirectUriProblem(uri, rules)).toBeUndefined());

  it.each([
    ['javascript:alert(1)//https://app.example.com/callback'],
    ['JaVaScRiPt:alert(1)'],
    ['data:text/html,x'],
    ['vbscript:x'],
    ['file:///etc/passwd'],
    ['blob:https://a/b'],
    ['about:blank'],
    ['https://app.example.com/cb#frag'],
    ['http://app.example.com/cb'],
    ['https://*.example.com/cb'],
    ['not-a-uri'],
    ['myapp:/cb'],
    ['http://127.0.0.1.nip.io/cb'],
    ['https://APP.example.com/callback'],
    ['https://app.example.com:443/callback'],
    ['https://app.example.com/callback/../callback'],
    ['https://app.example.com@evil.com/callback'],
    ['https://evil.com\\@app.example.com/callback'],
    ['https://app.example.com/call\tback'],
    ['https://app.example.com/callback\r\nSet-Cookie: x=1'],
    ['//evil.com/callback'],
  ])('H83-H85/D41-D46 refuses %j', (uri) => expect(redirectUriProblem(uri, rules)).toBeDefined());

  it('D41 near-misses of a registered URI never match', () => {
    for (const uri of [
      'https://app.example.com/callback/',
      'https://app.example.com/Callback',
      'https://APP.example.com/callback',
      'https://app.example.com:443/callback',
      'https://app.example.com/callback?x=1',
      'https://app.example.com/%63allback',
      'https://app.example.com.evil.com/callback',
    ]) {
      expect(findRegisteredRedirectUri(uri, REG)).toBeUndefined();
    }
  });

  it('D47 loopback: only the port may vary', () => {
    const reg = ['http://127.0.0.1/callback'];
    expect(findRegisteredRedirectUri('http://127.0.0.1:49152/callback', reg)).toBe(reg[0]);
    expect(findRegisteredRedirectUri('http://127.0.0.1:49152/other', reg)).toBeUndefined();
    expect(findRegisteredRedirectUri('https://127.0.0.1:49152/callback', reg)).toBeUndefined();
    expect(findRegisteredRedirectUri('http://localhost:49152/callback', reg)).toBeUndefined();
    expect(findRegisteredRedirectUri('http://127.0.0.1:49152/callback?x=1', reg)).toBeUndefined();
  });

  it('D48 fake loopbacks never match a loopback registration', () => {
    const reg = ['http://127.0.0.1/callback', 'http://localhost/callback'];
    for (const uri of [
      'http://127.0.0.1.nip.io:8080/callback',
      'http://localhost.evil.com:8080/callback',
      'http://localhost./callback',
      'http://LOCALHOST:8080/callback',
      'http://127.1:8080/callback',
      'http://2130706433/callback',
      'http://0x7f000001/callback',
      'http://127.000.000.001:8080/callback',
      'http://127.0.0.2:8080/callback',
      'http://0.0.0.0:8080/callback',
      'http://[::ffff:127.0.0.1]:8080/callback',
      'http://[0:0:0:0:0:0:0:1]:8080/callback',
    ]) {
      expect(findRegisteredRedirectUri(uri, reg)).toBeUndefined();
    }
  });

  it('D50 no port relaxation for non-loopback hosts', () => {
    expect(findRegisteredRedirectUri('https://app.example.com:8443/callback', REG)).toBeUndefined();
  });

  it('D51 IPv6 loopback', () => {
    const reg = ['http://[::1]/callback'];
    expect(findRegisteredRedirectUri('http://[::1]:61023/callback', reg)).toBe(reg[0]);
    expect(findRegisteredRedirectUri('http://[::1]:61023@evil.com/', reg)).toBeUndefined();
    expect(findRegisteredRedirectUri('http://[::1%25eth0]:1/callback', reg)).toBeUndefined();
  });

  it('O-info registration and use agree: port 0, fragments, response parameters and a stray ? never pass', () => {
    const reg = ['http://127.0.0.1/callback'];
    for (const uri of [
      'http://127.0.0.1:0/callback',
      'http://127.0.0.1:5000/callback#x',
      'http://127.0.0.1/callback#',
      'http://127.0.0.1:5000/callback?',
      'http://127.0.0.1/callback?code=1',
    ]) {
      expect({ uri, matched: findRegisteredRedirectUri(uri, reg) }).toEqual({ uri, matched: undefined });
    }
    for (const uri of ['http://127.0.0.1:0/callback', 'http://127.0.0.1/callback?state=x', 'Cursor://cb', 'cursor://cb/é']) {
      expect({ uri, problem: redirectUriProblem(uri, rules) }).toEqual({ uri, problem: expect.any(String) });
    }
    expect(findRegisteredRedirectUri('http://127.0.0.1:5000/callback?', ['http://127.0.0.1/callback?'])).toBe('http://127.0.0.1/callback?');
  });

  it('the allowlist restricts what may be registered', () => {
    const strict = { allowedSchemes: [], allowlist: ['https://app.example.com/callback', 'http://127.0.0.1/callback'] };
    expect(redirectUriProblem('https://app.example.com/callback', strict)).toBeUndefined();
    expect(redirectUriProblem('http://127.0.0.1:5555/callback', strict)).toBeUndefined();
    expect(redirectUriProblem('https://other.example.com/callback', strict)).toMatch(/allowlist/);
  });
});
