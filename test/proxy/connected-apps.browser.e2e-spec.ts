import type { Browser } from 'playwright-core';
import { launchChromium, watchPage } from '../support/chromium.js';
import { authorizeUrl, pkce, registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import { callMcp } from './connected-apps-helpers.js';

const REDIRECT = 'http://127.0.0.1:51235/callback';
const HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'&';

describe('connected apps page in real Chromium', () => {
  let f: ProxyFixture;
  let browser: Browser;

  beforeAll(async () => {
    f = await startProxyFixture();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it("sign in, see the app (hostile name escaped, no script, no CSP violation), revoke it: the revoked client's refresh is invalid_grant and its MCP call 401", async () => {
    const clientId = await registerClient(f, [REDIRECT], { client_name: HOSTILE_NAME });
    const context = await browser.newContext();
    const page = await context.newPage();
    const { dialogs, cspViolations } = watchPage(page);
    let code = '';
    await page.route('http://127.0.0.1:51235/**', async (route) => {
      code = new URL(route.request().url()).searchParams.get('code') ?? '';
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'client received the redirect' });
    });

    // The client's sign-in, in this browser: approve, sign in at the dev IdP; the client redeems the code.
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, resource: f.resource, scope: 'mcp:read' }));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    await page.fill('#login', 'carol');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    const tokenRes = await tokenRequest(f, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId });
    const tokens = (await tokenRes.json()) as { access_token: string; refresh_token: string };
    expect((await callMcp(f, tokens.access_token)).status).toBe(201);

    // The user opens the page (the consent flow's session), sees the app and revokes it.
    const response = await page.goto(`${f.base}/oauth/apps`);
    expect(response!.status()).toBe(200);
    const box = page.locator('.app').filter({ hasText: clientId });
    expect(await box.locator('h2').innerText()).toBe(HOSTILE_NAME);
    expect(await box.innerText()).toContain('self-registered, not verified');
    expect(await box.innerText()).toContain('mcp:read');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(0);
    await box.getByRole('button', { name: 'Revoke access' }).click();
    await page.waitForURL((u) => u.pathname === '/oauth/apps' && u.searchParams.get('revoked') === '1');
    expect(await page.locator('[role=status]').innerText()).toBe('Access was revoked.');
    expect(await page.locator('.app').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(cspViolations).toEqual([]);

    const refreshed = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await callMcp(f, tokens.access_token)).status).toBe(401);
    await context.close();
  });

  it('a fresh browser with no session is sent to the upstream sign-in and comes back to its own (empty) list', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${f.base}/oauth/apps`);
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    await page.fill('#login', 'nobody-yet');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href === `${f.base}/oauth/apps`);
    expect(await page.locator('h1').innerText()).toBe('Connected apps');
    expect(await page.locator('.app').count()).toBe(0);
    expect(await page.locator('body').innerText()).toContain('No application has access');
    await context.close();
  });

  it('R1 a cross-site page posting the revoke form is refused: the grant survives', async () => {
    const clientId = await registerClient(f, [REDIRECT]);
    const context = await browser.newContext();
    const page = await context.newPage();
    let code = '';
    await page.route('http://127.0.0.1:51235/**', async (route) => {
      code = new URL(route.request().url()).searchParams.get('code') ?? '';
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'ok' });
    });
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, resource: f.resource }));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    await page.fill('#login', 'dana');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(REDIRECT));
    const tokens = (await (
      await tokenRequest(f, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId })
    ).json()) as { access_token: string };
    // An attacker's page auto-submits the form (it cannot know the session's CSRF token).
    await page.route('http://attacker.test/', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: `<form id="x" method="post" action="${f.base}/oauth/apps/revoke"><input name="client_id" value="${clientId}"></form><script>document.getElementById('x').submit()</script>`,
      }),
    );
    const refused = page.waitForResponse((r) => r.url() === `${f.base}/oauth/apps/revoke`);
    await page.goto('http://attacker.test/');
    expect((await refused).status()).toBe(403);
    expect((await callMcp(f, tokens.access_token)).status).toBe(201);
    await context.close();
  });
});
