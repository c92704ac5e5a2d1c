import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless, without the background traffic that slows a loaded CI machine. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * What a page must never do, recorded for the test to assert empty: open a dialog (a script injected
 * through a hostile client name ran) or break its Content Security Policy. Dialogs are dismissed.
 */
export function watchPage(page: Page): { dialogs: string[]; cspViolations: string[] } {
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return { dialogs, cspViolations };
}
