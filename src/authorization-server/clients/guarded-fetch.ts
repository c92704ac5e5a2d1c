import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isBlockedAddress } from './ssrf-guard.js';

export interface GuardedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Loopback and private addresses allowed (development only). */
  allowPrivate: boolean;
}

export interface GuardedResponse {
  body: string;
  cacheControl?: string;
}

/**
 * GET for URLs an attacker can choose (CIMD client_id documents): https (or http only when private
 * addresses are allowed), every resolved address checked before connecting, no redirects, a hard
 * timeout and byte cap. Throws on anything else.
 */
export function guardedGet(url: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !options.allowPrivate && isBlockedAddress(host)) return reject(new Error('address not allowed'));
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowPrivate)) return reject(new Error('https required'));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      lookup: guardedLookup(options.allowPrivate) as never,
      timeout: options.timeoutMs,
    });
    const timer = setTimeout(() => req.destroy(new Error('timed out')), options.timeoutMs);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        clearTimeout(timer);
        return reject(new Error(`HTTP ${res.statusCode}`));
      }
      let size = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) return req.destroy(new Error('response too large'));
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ body: Buffer.concat(chunks).toString('utf8'), cacheControl: res.headers['cache-control'] });
      });
    });
    req.end();
  });
}
