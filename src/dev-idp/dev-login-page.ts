const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The dev IdP's login form: any user name signs in. No external assets. */
export function renderDevLoginPage(uid: string, problem?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev IdP sign-in</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
.warn{background:#fff3cd;border:1px solid #e0c060;padding:.75rem;border-radius:.4rem}
input,button{font:inherit;padding:.5rem;margin:.25rem 0;width:100%;box-sizing:border-box}</style></head>
<body><h1>Development sign-in</h1>
<p class="warn"><strong>Development only.</strong> This embedded identity provider accepts any user name, without a password.</p>
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">User name</label>
<input id="login" name="login" autocomplete="username" required autofocus value="alice">
<button type="submit">Sign in</button>
</form></body></html>`;
}
