import { createHash } from 'node:crypto';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"'`]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!);

/** The only stylesheet of the module's pages; allowed by hash in the CSP, so no inline script or style can run. */
export const PAGE_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}' +
  'h1{font-size:1.4rem}.box{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}' +
  '.warn{background:#fff6d6;border-color:#e0c060}code{font-size:.9em;word-break:break-all}' +
  'ul{padding-left:1.2rem}.actions{display:flex;gap:.75rem}button{font:inherit;padding:.55rem 1.2rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}' +
  'button.primary{background:#1f5fd1;color:#fff;border-color:#1f5fd1}';

const STYLE_HASH = createHash('sha256').update(PAGE_STYLE).digest('base64');

/** Strict CSP for the module's pages: nothing but the hashed stylesheet, forms only to `formActions`. */
export function pageCsp(formActions: readonly string[] = []): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    `form-action 'self'${formActions.map((a) => ` ${a}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body>${body}</body></html>`
  );
}

/** The 400 page for errors that must not redirect (unknown client, unregistered redirect URI, bad state). */
export function errorPage(
  error: string,
  description: string,
  heading = 'This sign-in request cannot continue',
  advice = 'Return to the application and start again.',
  title = 'Sign-in error',
): string {
  return page(
    title,
    `<h1>${escapeHtml(heading)}</h1><div class="box"><p><strong>${escapeHtml(error)}</strong></p><p>${escapeHtml(description)}</p></div><p>${escapeHtml(advice)}</p>`,
  );
}
