import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { Logger, type LoggerService } from '@nestjs/common';
import { TlsCertificateError } from '../errors/tls.errors.js';
import { certificateProblems } from './certificate-rules.js';
import { describeTlsCertificate, readTlsCertificate, type TlsCertificate, type TlsCertificateFiles } from './tls-certificate.js';

/** A TLS server whose context can be swapped: `https.Server`, `tls.Server`, `http2.Http2SecureServer`. @publicApi */
export interface TlsContextServer {
  setSecureContext(options: SecureContextOptions): void;
  once?(event: 'close', listener: () => void): unknown;
}

/** @publicApi */
export interface WatchTlsCertificateOptions extends TlsCertificateFiles {
  /**
   * The host clients connect to (MCP_URL's host): the certificate's subjectAltName must cover it.
   * Unset: names are not checked.
   */
  hostname?: string;
  /**
   * At start, an expired (or not yet valid) certificate or one whose names miss `hostname` is refused
   * (`TlsCertificateError`) in production and logged as a warning otherwise. A reload refuses it always.
   */
  production?: boolean;
  /** Re-read both files this often and swap when they changed; 0 = only `reload()` and `signal`. @default 60000 */
  intervalMs?: number;
  /** A process signal that triggers `reload()`, e.g. `'SIGHUP'`. @default none */
  signal?: NodeJS.Signals;
  /** @default new Logger('OAuthMcp:Tls') */
  logger?: LoggerService;
  /**
   * The other TLS options the server was created with (`minVersion`, `ciphers`, `ca`, …):
   * `setSecureContext` replaces all of them, so they are passed again with every pair.
   */
  contextOptions?: Omit<SecureContextOptions, 'cert' | 'key' | 'pfx' | 'passphrase'>;
  /** The pair the server was created with, already read by `readTlsCertificate` (saves reading it twice). */
  initial?: TlsCertificate;
}

/** What `reload()` did. `certificate` is the pair in use afterwards. @publicApi */
export type TlsReloadResult =
  | { readonly outcome: 'reloaded' | 'unchanged'; readonly certificate: TlsCertificate }
  | { readonly outcome: 'refused'; readonly problems: readonly string[]; readonly certificate: TlsCertificate };

const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Serves a certificate/key pair from files on a TLS server and swaps it, for new connections only, when
 * the files change (polled) or on `reload()` / a signal. Open connections keep the pair they began with.
 * A pair that cannot be read, whose key does not belong to its certificate, that is expired or not yet
 * valid, or whose names miss `hostname` is refused with one log line, and the pair in use stays.
 * @publicApi
 */
export class TlsCertificateReloader {
  private current: TlsCertificate;
  /** The files' bytes as last looked at (applied or refused): a poll acts only when they differ. */
  private lastSeen: string;
  private expiryReported = false;
  private timer?: NodeJS.Timeout;
  private readonly onSignal = () => this.reload();
  private readonly logger: LoggerService;
  private closed = false;

  /** Use `watchTlsCertificate`. */
  constructor(
    private readonly server: TlsContextServer,
    private readonly options: WatchTlsCertificateOptions,
  ) {
    if (typeof server?.setSecureContext !== 'function') {
      throw new TypeError('watchTlsCertificate needs a TLS server (https.createServer, or NestFactory.create with httpsOptions)');
    }
    const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 0) throw new TypeError('intervalMs must be a whole number of milliseconds, 0 or more');
    this.logger = options.logger ?? new Logger('OAuthMcp:Tls');
    this.current = options.initial ?? readTlsCertificate(options);
    this.lastSeen = fingerprint(this.current.cert, this.current.key);
    this.checkAtStart();
    // An expired pair accepted at start (development) was reported there.
    this.expiryReported = Date.now() > this.current.validTo.getTime();
    this.apply(this.current);
    this.logger.log(
      `TLS certificate from ${options.certFile}: ${describeTlsCertificate(this.current)}; ` +
        `${intervalMs > 0 ? `the files are checked for changes every ${intervalMs / 1000} s` : 'no polling'}${options.signal ? `, and reloaded on ${options.signal}` : ''}`,
    );
    if (options.signal) this.listen(options.signal);
    if (intervalMs > 0) this.timer = setInterval(() => this.poll(), intervalMs).unref();
    server.once?.('close', () => this.close());
  }

  /** The pair new connections get. */
  get certificate(): TlsCertificate {
    return this.current;
  }

  /** Reads both files now and swaps the pair when they changed and pass the checks; logs the outcome. */
  reload(): TlsReloadResult {
    const result = this.attempt();
    this.report(result, true);
    return result;
  }

  /** Stops polling and listening for the signal (also done when the server closes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.options.signal) process.off(this.options.signal, this.onSignal);
  }

  /** Expired, not yet valid, or not covering the host: refused in production, a warning otherwise. */
  private checkAtStart(): void {
    const problems = certificateProblems(this.current.certificate, { hostname: this.options.hostname });
    if (problems.length === 0) return;
    const located = problems.map((p) => `${this.options.certFile}: ${p}`);
    if (this.options.production) throw new TlsCertificateError(located);
    for (const problem of located) this.logger.warn(`TLS certificate ${problem}. Clients will refuse it; in production the server would not start.`);
  }

  private listen(signal: NodeJS.Signals): void {
    if (process.listenerCount(signal) > 0) {
      this.logger.warn(
        `Another ${signal} listener is registered: if it shuts the application down (Nest's enableShutdownHooks() without a signal list does, on SIGHUP too), ${signal} will not just reload the certificate. Pass enableShutdownHooks the signals that should stop the application.`,
      );
    }
    process.on(signal, this.onSignal);
  }

  /** A timer tick: act only when the files' bytes changed since the last look, so a bad pair is logged once. */
  private poll(): void {
    const seen = readFingerprint(this.options);
    if (seen !== this.lastSeen) this.report(this.attempt(), false);
    this.reportExpiredInUse();
  }

  private attempt(): TlsReloadResult {
    let next: TlsCertificate;
    try {
      next = readTlsCertificate(this.options);
    } catch (err) {
      this.lastSeen = readFingerprint(this.options);
      return this.refused(err instanceof TlsCertificateError ? err.problems : [(err as Error).message]);
    }
    this.lastSeen = fingerprint(next.cert, next.key);
    if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key)) return { outcome: 'unchanged', certificate: this.current };
    const problems = certificateProblems(next.certificate, { hostname: this.options.hostname });
    if (problems.length > 0) return this.refused(problems.map((p) => `${this.options.certFile}: ${p}`));
    try {
      this.apply(next);
    } catch (err) {
      return this.refused([`the TLS library refused the pair (${(err as Error).message})`]);
    }
    this.current = next;
    this.expiryReported = false;
    return { outcome: 'reloaded', certificate: next };
  }

  private apply(pair: TlsCertificate): void {
    this.server.setSecureContext({ ...this.options.contextOptions, cert: pair.cert, key: pair.key });
  }

  private refused(problems: readonly string[]): TlsReloadResult {
    return { outcome: 'refused', problems, certificate: this.current };
  }

  private report(result: TlsReloadResult, asked: boolean): void {
    if (result.outcome === 'reloaded') {
      this.logger.log(
        `TLS certificate reloaded from ${this.options.certFile}: ${describeTlsCertificate(result.certificate)} (new connections; open ones keep theirs)`,
      );
    } else if (result.outcome === 'refused') {
      this.logger.error(`TLS certificate reload refused: ${result.problems.join('; ')}. Still serving ${describeTlsCertificate(result.certificate)}`);
    } else if (asked) {
      this.logger.log(`TLS certificate files unchanged: still serving ${describeTlsCertificate(result.certificate)}`);
    }
  }

  private reportExpiredInUse(): void {
    if (this.expiryReported || Date.now() <= this.current.validTo.getTime()) return;
    this.expiryReported = true;
    this.logger.error(
      `The TLS certificate in use expired on ${this.current.validTo.toISOString()}: clients refuse new connections until a valid pair is in ${this.options.certFile} and ${this.options.keyFile}`,
    );
  }
}

/**
 * Serves `certFile`/`keyFile` on `server` and keeps them current without a restart (see
 * `TlsCertificateReloader`). Throws `TlsCertificateError` when the pair cannot be served at start
 * (and, with `production`, when it is expired or does not cover `hostname`).
 * @publicApi
 * @example
 * const files = { certFile: '/etc/tls/tls.crt', keyFile: '/etc/tls/tls.key' };
 * const initial = readTlsCertificate(files);
 * const app = await NestFactory.create(AppModule, { httpsOptions: { cert: initial.cert, key: initial.key } });
 * const { resourceUrl, production } = app.get(OAuthMcpConfigService).config;
 * watchTlsCertificate(app.getHttpServer(), { ...files, initial, hostname: resourceUrl.hostname, production, signal: 'SIGHUP' });
 */
export function watchTlsCertificate(server: TlsContextServer, options: WatchTlsCertificateOptions): TlsCertificateReloader {
  return new TlsCertificateReloader(server, options);
}

function fingerprint(cert: Buffer, key: Buffer): string {
  return createHash('sha256').update(cert).update('\0').update(key).digest('base64');
}

/** The files' bytes as a digest, or the read errors: what a poll compares. */
function readFingerprint(files: TlsCertificateFiles): string {
  try {
    return fingerprint(readFileSync(files.certFile), readFileSync(files.keyFile));
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
