import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsCertificateError } from '../errors/tls.errors.js';
import { certificateValidity } from './certificate-rules.js';

/** Where the PEM certificate (optionally followed by its chain) and its private key are. @publicApi */
export interface TlsCertificateFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate/key pair read from its files, whose key belongs to the (leaf) certificate. @publicApi */
export interface TlsCertificate {
  /** The files' bytes, as passed to `tls.createSecureContext`. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The leaf (first) certificate of `cert`. */
  readonly certificate: X509Certificate;
  readonly validFrom: Date;
  readonly validTo: Date;
}

/**
 * Reads and pairs a certificate file and a key file. Throws `TlsCertificateError` (naming the file
 * and what is wrong, never the key) when a file cannot be read, holds no PEM certificate or no
 * unencrypted private key, or when the key does not belong to the certificate.
 * @publicApi
 */
export function readTlsCertificate(files: TlsCertificateFiles): TlsCertificate {
  const problems: string[] = [];
  const cert = readFile(files.certFile, 'certificate', problems);
  const key = readFile(files.keyFile, 'key', problems);
  const certificate = cert && parseCertificate(cert, files.certFile, problems);
  const privateKey = key && parsePrivateKey(key, files.keyFile, problems);
  if (problems.length > 0 || !cert || !key || !certificate || !privateKey) throw new TlsCertificateError(problems);
  if (!keyMatches(certificate, privateKey)) {
    throw new TlsCertificateError([`the private key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`]);
  }
  return { cert, key, certificate, ...certificateValidity(certificate) };
}

/** One line about a certificate for logs: serial, names, validity end. No key material. @publicApi */
export function describeTlsCertificate(certificate: TlsCertificate): string {
  const names = certificate.certificate.subjectAltName ?? certificate.certificate.subject.replace(/\n/g, ', ');
  return `serial ${certificate.certificate.serialNumber}, ${names}, valid until ${certificate.validTo.toISOString()}`;
}

function readFile(path: string, what: 'certificate' | 'key', problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    problems.push(`cannot read the ${what} file ${path} (${code ?? message})`);
    return undefined;
  }
}

function parseCertificate(pem: Buffer, path: string, problems: string[]): X509Certificate | undefined {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`the certificate file ${path} holds no PEM certificate`);
    return undefined;
  }
  try {
    return new X509Certificate(pem);
  } catch {
    problems.push(`the certificate file ${path} holds no readable PEM certificate`);
    return undefined;
  }
}

function parsePrivateKey(pem: Buffer, path: string, problems: string[]): ReturnType<typeof createPrivateKey> | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    // OpenSSL's reason may quote input; the message names the file only.
    problems.push(`the key file ${path} holds no usable private key (an unencrypted PEM key is needed)`);
    return undefined;
  }
}

function keyMatches(certificate: X509Certificate, privateKey: ReturnType<typeof createPrivateKey>): boolean {
  try {
    return certificate.checkPrivateKey(privateKey);
  } catch {
    return false;
  }
}
