/**
 * Open-redirect payloads, generated: every combination of the prefix, authority and suffix tricks
 * that open-redirect corpora (such as oauth2-proxy's testdata/openredirects.txt) are built from —
 * scheme-relative and backslash forms, encoded slashes and whitespace, userinfo and suffix-domain
 * confusion, full-width and ideographic dots, numeric IPs and script schemes. `ALLOWED` stands for
 * the host the server trusts and is swapped per client by the test.
 */
export const ALLOWED = 'ALLOWED.HOST';

const PREFIXES = [
  '',
  '//',
  '///',
  '////',
  '/\\',
  '\\/',
  '\\\\',
  '/\\/',
  '/%09/',
  '/%5c',
  '/%2f%2f',
  '%2f%2f',
  '/%0d/',
  '/.//',
  '/%2e%2e/',
  'https:',
  'https:/',
  'https://',
  'https:///',
  'https:\\\\',
  'https:/\\',
  'http://',
  'HtTpS://',
  'https:%2f%2f',
  '//\\\\',
];
const AUTHORITIES = [
  'evil.com',
  `${ALLOWED}@evil.com`,
  `evil.com@${ALLOWED}`,
  `evil.com\\@${ALLOWED}`,
  `evil.com%40${ALLOWED}`,
  `${ALLOWED}.evil.com`,
  `evil.com%23.${ALLOWED}`,
  `evil.com?.${ALLOWED}`,
  `evil.com#.${ALLOWED}`,
  `evil.com\\.${ALLOWED}`,
  `evil.com%2f${ALLOWED}`,
  `${ALLOWED}%2eevil.com`,
  'evil。com',
  'evil%E3%80%82com',
  '〱evil.com',
  'ｅｖｉｌ.com',
  '216.58.214.206',
  '3627734734',
  '0xd83ad6ce',
  '0330.072.0326.0316',
  '[::ffff:d83a:d6ce]',
  `${ALLOWED}:443@evil.com`,
  `${ALLOWED}%00.evil.com`,
];
const SUFFIXES = ['', '/', '/callback', '/%2e%2e', `#${ALLOWED}`, `?${ALLOWED}`];
const SCRIPTS = [
  'javascript:alert(1)',
  'javascript://%0aalert(1)',
  `javascript://${ALLOWED}/%0aalert(1)`,
  'JaVaScRiPt:alert(1)',
  'java%0d%0ascript%0d%0a:alert(0)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  '\tjavascript:alert(1)',
];

/** Every combination, deduplicated, ALLOWED host included where the pattern uses it. */
export function openRedirectPayloads(): string[] {
  const out = new Set<string>(SCRIPTS);
  for (const prefix of PREFIXES) for (const authority of AUTHORITIES) for (const suffix of SUFFIXES) out.add(`${prefix}${authority}${suffix}`);
  return [...out];
}
