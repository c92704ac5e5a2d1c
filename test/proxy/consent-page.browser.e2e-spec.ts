import type { Browser, Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/chromium.js';
import { authorizeUrl, pkce, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';

// What page.evaluate callbacks use: they run in the browser, not in this (Node) compilation.
declare const document: { body?: { innerText: string } };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const REDIRECT = 'http://127.0.0.1:51234/callback';
const HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'&';

/** The client's redirect target: answered by the test, like a native app's loopback listener. */
async function catchRedirects(page: Page): Promise<URL[]> {
  const seen: URL[] = [];
  await page.route('http://127.0.0.1:51234/**', async (route) => {
    seen.push(new URL(route.request().url()));
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'client received the redirect' });
  });
  return seen;
}

describe('consent page in real Chromium', () => {
  let f: ProxyFixture;
  let browser: Browser;
  let clientId: string;

  beforeAll(async () => {
    f = await startProxyFixture();
    browser = await launchChromium();
    clientId = await registerClient(f, [REDIRECT], { client_name: HOSTILE_NAME });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  const url = () => authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, resource: f.resource });

  it('G81/H91 renders the consent page with the hostile client name escaped, the redirect host and scopes; no script runs; the hashed stylesheet applies', async () => {
    const page = await browser.newPage();
    const { dialogs, cspViolations } = watchPage(page);
    const response = await page.goto(url());
    expect(response!.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toContain(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(0);
    expect(await page.locator('body').innerText()).toContain('127.0.0.1:51234');
    expect(await page.locator('li code').allInnerTexts()).toEqual(['mcp:read', 'mcp:write', 'mcp:admin']);
    const background = await page.locator('button.primary').evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(background).toBe('rgb(31, 95, 209)');
    expect(dialogs).toEqual([]);
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('approve: the browser goes through the upstream sign-in and the client receives code, state and iss', async () => {
    const page = await browser.newPage();
    const seen = await catchRedirects(page);
    await page.goto(url());
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    await page.fill('#login', 'carol');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    const callback = seen.at(-1)!;
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(callback.searchParams.get('state')).toBe('client-state');
    expect(callback.searchParams.get('iss')).toBe(f.base);
    await page.close();
  });

  it('deny: the client receives error=access_denied with state and iss, and no code', async () => {
    const page = await browser.newPage();
    const seen = await catchRedirects(page);
    await page.goto(url());
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    const callback = seen.at(-1)!;
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('client-state');
    expect(callback.searchParams.get('iss')).toBe(f.base);
    expect(callback.searchParams.has('code')).toBe(false);
    await page.close();
  });

  it('G82/K112 framing is refused: the consent page never renders inside another page', async () => {
    const page = await browser.newPage();
    await page.route('http://framer.test/', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: `<iframe id="f" src="${url()}" width="600" height="400"></iframe>` }),
    );
    await page.goto('http://framer.test/');
    await page.waitForTimeout(500);
    const frame = page.frames().find((fr) => fr !== page.mainFrame());
    const framedText = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
    expect(framedText).not.toContain('Approve');
    await page.close();
  });
});
