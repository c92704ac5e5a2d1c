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
  /** Redirects to follow before giving up. @default 20 */
  maxHops?: number;
}

const LOGIN_FORM = /<form method="post" action="([^"]+)">/;

/**
 * Plays the browser for an authorization URL: follows redirects with cookies, fills the dev IdP's
 * login form, and stops at the first redirect to `redirectUri` (same origin and path), which it
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
    const html = await res.text();
    const action = res.status === 200 ? LOGIN_FORM.exec(html)?.[1] : undefined;
    if (!action) throw new Error(`headless login stopped at ${here.origin}${here.pathname}: HTTP ${res.status}`);
    url = new URL(action, url).href;
    form = new URLSearchParams({ login: options.username ?? 'alice' }).toString();
  }
  throw new Error('headless login: too many redirects');
}
