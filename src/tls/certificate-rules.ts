import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** What a certificate is checked against: the host clients connect to (MCP_URL's), and the time. */
export interface CertificateExpectations {
  /** Host name or IP literal (brackets allowed) the certificate's subjectAltName must cover; unset = not checked. */
  hostname?: string;
  /** Defaults to the current time. */
  now?: Date;
}

/** The time window of a certificate, as dates. */
export function certificateValidity(certificate: X509Certificate): { validFrom: Date; validTo: Date } {
  return { validFrom: new Date(certificate.validFrom), validTo: new Date(certificate.validTo) };
}

/**
 * Why clients would refuse this certificate: outside its validity window, or no subjectAltName entry
 * covering `hostname`. Names are matched as browsers and Node's TLS client do: subjectAltName only (the
 * subject CN is ignored), `*` only as a whole left-most label. An empty list means usable.
 */
export function certificateProblems(certificate: X509Certificate, expect: CertificateExpectations = {}): string[] {
  const problems: string[] = [];
  const now = expect.now ?? new Date();
  const { validFrom, validTo } = certificateValidity(certificate);
  if (now.getTime() > validTo.getTime()) problems.push(`the certificate expired on ${validTo.toISOString()}`);
  else if (now.getTime() < validFrom.getTime()) problems.push(`the certificate is not valid before ${validFrom.toISOString()}`);
  const host = expect.hostname?.replace(/^\[|\]$/g, '');
  if (host && !coversHost(certificate, host)) {
    problems.push(`the certificate's names (${certificate.subjectAltName ?? 'no subjectAltName'}) do not cover ${host}, the host clients connect to`);
  }
  return problems;
}

function coversHost(certificate: X509Certificate, host: string): boolean {
  if (isIP(host)) return certificate.checkIP(host) !== undefined;
  return certificate.checkHost(host, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined;
}
