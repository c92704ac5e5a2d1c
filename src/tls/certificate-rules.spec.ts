import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { certificateDir, generateCertificate } from '../../test/support/tls-certs.js';
import { certificateProblems } from './certificate-rules.js';

describe('certificateProblems: what clients would refuse', () => {
  const dir = certificateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const x509 = (name: string, options?: Parameters<typeof generateCertificate>[2]) => new X509Certificate(generateCertificate(dir, name, options).cert);

  it('a current certificate naming the host has none', () => {
    const cert = x509('ok', { names: ['DNS:mcp.example.com', 'IP:127.0.0.1', 'IP:::1'] });
    expect(certificateProblems(cert, { hostname: 'mcp.example.com' })).toEqual([]);
    expect(certificateProblems(cert, { hostname: '127.0.0.1' })).toEqual([]);
    expect(certificateProblems(cert, { hostname: '[::1]' })).toEqual([]);
    expect(certificateProblems(cert)).toEqual([]);
  });

  it('expired, and not yet valid', () => {
    const expired = x509('expired', { notBefore: '20200101000000Z', notAfter: '20200102000000Z' });
    expect(certificateProblems(expired, { hostname: 'localhost' })).toEqual(['the certificate expired on 2020-01-02T00:00:00.000Z']);
    const future = x509('future', { notBefore: '20991231000000Z', notAfter: '21000101000000Z' });
    expect(certificateProblems(future)).toEqual(['the certificate is not valid before 2099-12-31T00:00:00.000Z']);
    // The window is compared with the given time, not only the clock.
    expect(certificateProblems(expired, { now: new Date('2020-01-01T12:00:00Z') })).toEqual([]);
  });

  it('names: subjectAltName only (CN ignored), * as a whole left-most label only, IPs exactly', () => {
    const cn = x509('mcp.example.com', { names: ['DNS:other.example.com'] });
    expect(certificateProblems(cn, { hostname: 'mcp.example.com' })).toEqual([
      "the certificate's names (DNS:other.example.com) do not cover mcp.example.com, the host clients connect to",
    ]);
    const wildcard = x509('wild', { names: ['DNS:*.example.com', 'DNS:m*.example.org'] });
    expect(certificateProblems(wildcard, { hostname: 'mcp.example.com' })).toEqual([]);
    expect(certificateProblems(wildcard, { hostname: 'a.mcp.example.com' })).toHaveLength(1);
    expect(certificateProblems(wildcard, { hostname: 'example.com' })).toHaveLength(1);
    expect(certificateProblems(wildcard, { hostname: 'mcp.example.org' })).toHaveLength(1);
    const loopback = x509('loopback', { names: ['DNS:localhost', 'IP:127.0.0.1'] });
    expect(certificateProblems(loopback, { hostname: '127.0.0.2' })).toHaveLength(1);
    expect(certificateProblems(loopback, { hostname: '[::1]' })).toHaveLength(1);
  });
});
