/**
 * A TLS certificate/key pair that must not be served: unreadable, not PEM, a key that does not belong
 * to the certificate, or (where the caller refuses them) an expired certificate or one whose names do
 * not cover the server's host. The message names the files and the problems, never key material.
 * @publicApi
 */
export class TlsCertificateError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`TLS certificate refused: ${problems.join('; ')}`);
    this.name = this.constructor.name;
  }
}
