import { displayableClientName } from '../../config/client-name-rules.js';
import { escapeHtml, page } from '../authorize/html.js';
import type { ConnectedApp } from './connected-apps.service.js';

const registrationLabel = (app: ConnectedApp): string =>
  app.verified ? 'pre-registered by this server' : app.registration === 'cimd' ? 'identified by its own URL, not verified' : 'self-registered, not verified';

/** `2026-12-07 08:14 UTC`: readable without script (the page has none) and the same for everyone. */
const when = (isoTime: string): string => `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)} UTC`;

function appBox(app: ConnectedApp, csrfToken: string): string {
  const name = app.clientName ? `<bdi>${escapeHtml(displayableClientName(app.clientName))}</bdi>` : '<em>An unnamed application</em>';
  const scopes = app.scopes.length > 0 ? app.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ') : 'no specific scope';
  return `<div class="box app"><h2>${name}</h2>
<p><small>${registrationLabel(app)}: <code><bdi>${escapeHtml(displayableClientName(app.clientId))}</bdi></code></small></p>
<p>Access: ${scopes}<br>Tokens: ${app.tokenBinding === 'DPoP' ? "DPoP (bound to the app's key)" : 'bearer'}${app.grants > 1 ? ` · ${app.grants} sign-ins` : ''}<br>
First used ${when(app.firstUsed)} · last used ${when(app.lastUsed)}</p>
<form method="post" action="/oauth/apps/revoke">
<input type="hidden" name="client_id" value="${escapeHtml(app.clientId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">
<button type="submit">Revoke access</button></form></div>`;
}

/**
 * The "Connected apps" page: the applications the signed-in user approved, each with a revoke button
 * posting the session's CSRF token. Same rules as the consent page: escaped names, no script, no external asset.
 */
export function renderAppsPage(apps: readonly ConnectedApp[], csrfToken: string, notice?: string): string {
  const list =
    apps.length > 0 ? apps.map((a) => appBox(a, csrfToken)).join('\n') : '<p class="box">No application has access to this MCP server on your behalf.</p>';
  return page(
    'Connected apps',
    `<h1>Connected apps</h1>
${notice ? `<p class="box warn" role="status">${escapeHtml(notice)}</p>` : ''}
<p>Applications you allowed to use this MCP server on your behalf. Revoking one signs it out at once: its tokens stop working and it must ask you again.</p>
${list}`,
  );
}
