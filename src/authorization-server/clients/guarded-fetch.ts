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
 * timeout and byte cap, a fresh connection each time. Settles exactly once; never throws
 * asynchronously outside the returned promise.
 */
export function guardedGet(url: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !options.allowPrivate && isBlockedAddress(host)) return reject(new Error('address not allowed'));
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowPrivate)) return reject(new Error('https required'));
    let settled = false;
    const finish = (err: Error | undefined, value?: GuardedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(value!);
      }
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      agent: false,
      headers: { accept: 'application/json' },
      lookup: guardedLookup(options.allowPrivate) as never,
    });
    const timer = setTimeout(() => finish(new Error('timed out')), options.timeoutMs);
    req.on('error', (err) => finish(err));
    req.on('response', (res) => {
      res.on('error', (err) => finish(err));
      if (res.statusCode !== 200) {
        res.resume();
        return finish(new Error(`HTTP ${res.statusCode}`));
      }
      if (Number(res.headers['content-length'] ?? 0) > options.maxBytes) return finish(new Error('response too large'));
      let size = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) return finish(new Error('response too large'));
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { body: Buffer.concat(chunks).toString('utf8'), cacheControl: res.headers['cache-control'] }));
    });
    req.end();
  });
}
