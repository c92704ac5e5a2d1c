/** A minimal cookie jar: one name=value map per origin (enough for the dev IdP's session cookies). */
class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  store(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    }
    this.byOrigin.set(origin, jar);
  }

  header(url: string): string {
    return [...(this.byOrigin.get(new URL(url).origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface HeadlessLoginOptions {
  /** The user name typed into the dev IdP's login form. @default 'alice' */
  username?: string;
  /** The answer given on a consent page (proxy mode). @default 'approve' */
  decision?: 'approve' | 'deny';
  /** Redirects to follow before giving up. @default 20 */
  maxHops?: number;
}

const FORM = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/;
const HIDDEN = /<input type="hidden" name="([^"]+)" value="([^"]*)">/g;

const unescapeHtml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e]!);

/** The form a person would submit: hidden fields, the user name for a login form, the decision for a consent form. */
function fillForm(html: string, options: HeadlessLoginOptions): { action: string; body: string } | undefined {
  const form = FORM.exec(html);
  if (!form) return undefined;
  const fields = new URLSearchParams();
  for (const [, name, value] of form[2].matchAll(HIDDEN)) fields.set(name, unescapeHtml(value));
  if (/name="login"/.test(form[2])) fields.set('login', options.username ?? 'alice');
  if (/name="decision"/.test(form[2])) fields.set('decision', options.decision ?? 'approve');
  return { action: unescapeHtml(form[1]), body: fields.toString() };
}

/**
 * Plays the browser for an authorization URL: follows redirects with cookies, answers this module's
 * consent page and fills the dev IdP's login form, and stops at the first redirect to `redirectUri` (same origin and path), which it
 * returns with its `code`, `state` and `iss`. For tests and `npm run demo`; the dev IdP only.
 */
export async function headlessLogin(authorizationUrl: string, redirectUri: string, options: HeadlessLoginOptions = {}): Promise<URL> {
  const target = new URL(redirectUri);
  const jar = new CookieJar();
  let url = authorizationUrl;
  let form: string | undefined;
  for (let hop = 0; hop < (options.maxHops ?? 20); hop++) {
    const here = new URL(url);
    if (here.origin === target.origin && here.pathname === target.pathname) return here;
    const res = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(url),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: form,
    });
    jar.store(url, res);
    form = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    const filled = res.status === 200 ? fillForm(await res.text(), options) : undefined;
    if (!filled) throw new Error(`headless login stopped at ${here.origin}${here.pathname}: HTTP ${res.status}`);
    url = new URL(filled.action, url).href;
    form = filled.body;
  }
  throw new Error('headless login: too many redirects');
}
