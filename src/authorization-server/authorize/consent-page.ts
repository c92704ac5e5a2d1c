import { escapeHtml, page } from './html.js';
import { displayableClientName } from '../../config/client-name-rules.js';

export interface ConsentView {
  clientName?: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  resource: string;
  requestId: string;
  csrfToken: string;
  /** How the client is known: dynamically registered, pre-registered, or a metadata document URL. */
  source: 'dcr' | 'static' | 'cimd';
}

/** Where the browser will be sent: the host for http(s), the scheme and authority for app schemes. */
function redirectTarget(uri: string): { label: string; loopback: boolean } {
  const url = new URL(uri);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return { label: url.protocol === 'https:' || url.protocol === 'http:' ? url.host : `${url.protocol}//${url.host}`, loopback };
}

/**
 * The consent page (MCP "Confused Deputy" protections): the client's name (HTML-escaped, and marked as
 * unverified), the host the browser will be sent back to, the scopes, and approve/deny buttons posting
 * a CSRF token. No external assets, no script.
 */
export function renderConsentPage(v: ConsentView): string {
  const target = redirectTarget(v.redirectUri);
  // <bdi>: a right-to-left name stays inside its own box instead of reordering the sentence around it.
  const name = v.clientName ? `<bdi>${escapeHtml(displayableClientName(v.clientName))}</bdi>` : '<em>An unnamed application</em>';
  const scopes = v.scopes.length > 0 ? v.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('') : '<li>No specific scope</li>';
  return page(
    'Allow access?',
    `<h1>Allow ${name} to access this MCP server?</h1>
<div class="box"><p>${name} <small>(${v.source === 'static' ? 'pre-registered' : 'self-registered, not verified'}: <code><bdi>${escapeHtml(displayableClientName(v.clientId))}</bdi></code>)</small> asks to act on your behalf at <code>${escapeHtml(v.resource)}</code>.</p>
<p>After you sign in you will be sent to <strong><code>${escapeHtml(target.label)}</code></strong>.</p>
${target.loopback ? '<p class="box warn">That address is on your own computer: approve only if you just started this application yourself.</p>' : ''}
<p>Requested access:</p><ul>${scopes}</ul></div>
<p>Only continue if you trust this application and started this sign-in yourself.</p>
<form method="post" action="/oauth/consent">
<input type="hidden" name="request_id" value="${escapeHtml(v.requestId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(v.csrfToken)}">
<div class="actions"><button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button></div>
</form>`,
  );
}
