/** Why a guarded fetch failed; never contains response bodies. */
export class SafeFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

export interface SafeFetchOptions {
  timeoutMs: number;
  maxBytes: number;
}

/**
 * GETs a JSON document from a configured URL (JWKS, discovery): no redirects followed, a hard
 * timeout, a byte cap enforced while streaming, and a JSON object required. Used for every outbound
 * request the module makes, so a hostile or hanging endpoint fails closed.
 */
export async function fetchJsonObject(url: string, options: SafeFetchOptions): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: controller.signal,
      headers: { accept: 'application/json' },
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new SafeFetchError(`unexpected HTTP status ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > options.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new SafeFetchError('response too large');
    }
    const text = await readCapped(res, options.maxBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SafeFetchError('response is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SafeFetchError('response is not a JSON object');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SafeFetchError) throw err;
    throw new SafeFetchError(controller.signal.aborted ? 'timed out' : 'unreachable');
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a response body, refusing more than `maxBytes`. */
export async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const { text, truncated } = await readUpTo(res, maxBytes);
  if (truncated) throw new SafeFetchError('response too large');
  return text;
}

/** The first `maxBytes` of the body, the rest dropped (an error page is read for its markers, not trusted). */
export async function readPrefix(res: Response, maxBytes: number): Promise<string> {
  return (await readUpTo(res, maxBytes)).text;
}

async function readUpTo(res: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      chunks.push(value.subarray(0, value.byteLength - (total - maxBytes)));
      await reader.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
