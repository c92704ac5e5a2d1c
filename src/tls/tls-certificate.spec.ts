import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateDir, generateCertificate } from '../../test/support/tls-certs.js';
import { TlsCertificateError } from '../errors/tls.errors.js';
import { readTlsCertificate } from './tls-certificate.js';

const refusal = (files: { certFile: string; keyFile: string }): readonly string[] => {
  try {
    readTlsCertificate(files);
  } catch (err) {
    expect(err).toBeInstanceOf(TlsCertificateError);
    return (err as TlsCertificateError).problems;
  }
  throw new Error('the pair was accepted');
};

describe('readTlsCertificate: a readable PEM certificate and the key that belongs to it', () => {
  const dir = certificateDir();
  const a = generateCertificate(dir, 'a');
  const b = generateCertificate(dir, 'b');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a pair, its leaf certificate and validity; a chain after the leaf is kept', () => {
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, Buffer.concat([a.cert, b.cert]));
    const pair = readTlsCertificate({ certFile: chain, keyFile: a.keyFile });
    expect(pair.certificate.serialNumber).toBe(a.serial);
    expect(pair.cert.length).toBe(a.cert.length + b.cert.length);
    expect(pair.validTo.getTime()).toBeGreaterThan(Date.now());
  });

  it('a key of another certificate: refused naming both files', () => {
    expect(refusal({ certFile: a.certFile, keyFile: b.keyFile })).toEqual([
      `the private key in ${b.keyFile} does not belong to the certificate in ${a.certFile}`,
    ]);
  });

  it('missing, a directory, not PEM, a key in place of the certificate, a certificate in place of the key', () => {
    expect(refusal({ certFile: join(dir, 'none.pem'), keyFile: a.keyFile })).toEqual([`cannot read the certificate file ${join(dir, 'none.pem')} (ENOENT)`]);
    mkdirSync(join(dir, 'adir'));
    expect(refusal({ certFile: a.certFile, keyFile: join(dir, 'adir') })).toEqual([`cannot read the key file ${join(dir, 'adir')} (EISDIR)`]);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(refusal({ certFile: junk, keyFile: a.keyFile })).toEqual([`the certificate file ${junk} holds no PEM certificate`]);
    expect(refusal({ certFile: a.keyFile, keyFile: a.keyFile })).toEqual([`the certificate file ${a.keyFile} holds no PEM certificate`]);
    expect(refusal({ certFile: a.certFile, keyFile: a.certFile })).toEqual([
      `the key file ${a.certFile} holds no usable private key (an unencrypted PEM key is needed)`,
    ]);
  });

  it('a truncated certificate and an unreadable key: both named at once, no key bytes in the message', () => {
    const truncated = join(dir, 'truncated.pem');
    writeFileSync(truncated, a.cert.subarray(0, 120));
    const locked = join(dir, 'locked.pem');
    writeFileSync(locked, a.key);
    chmodSync(locked, 0);
    const problems = refusal({ certFile: truncated, keyFile: locked });
    expect(problems[0]).toBe(`the certificate file ${truncated} holds no readable PEM certificate`);
    // root reads mode-000 files: then the key parses and only the certificate is refused.
    if (process.getuid?.() !== 0) expect(problems[1]).toBe(`cannot read the key file ${locked} (EACCES)`);
    const keyBody = a.key.toString().split('\n')[1];
    expect(problems.join(' ')).not.toContain(keyBody);
  });
});
