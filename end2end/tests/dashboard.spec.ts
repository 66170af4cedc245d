import { test, expect, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hydrated, screenshot, sim, SECRETS, watchConsole } from './helpers';
import { PORT } from '../playwright.config';

test.describe.configure({ mode: 'serial' });

const root = path.resolve(__dirname, '..', '..');

/** The rows' (extension, state) as the page shows them. */
async function shownStates(page: Page): Promise<Record<string, string>> {
  return page.locator('tr[data-endpoint]').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-endpoint'), r.getAttribute('data-state')])));
}

test('the list shows every endpoint with the state the PBX reports', async ({ page, request }) => {
  await sim('SimRegister', { Endpoint: '1004', Via: '192.0.2.44:5060', UserAgent: 'Polycom VVX 450' });
  const problems = watchConsole(page);
  await page.goto('/endpoints');
  await hydrated(page);
  const row = page.locator('tr[data-endpoint="1004"]');
  await expect(row).toHaveAttribute('data-state', 'online', { timeout: 7_000 });

  const api = await (await request.get('/endpoints')).json();
  const want = Object.fromEntries(api.endpoints.map((e: any) => [e.objectname, e.state]));
  expect(Object.keys(want).length).toBe(20); // the sample PBX: pjsip.conf, its includes and the wizard
  expect(await shownStates(page)).toEqual(want);
  // An IP-matched trunk has no AOR: nothing to monitor, not "offline".
  expect(want['carrier-in']).toBe('unmonitored');
  expect(want['1004']).toBe('online');
  await expect(page.getByTestId('count-online')).toHaveText(String(Object.values(want).filter((s) => s === 'online').length));
  await expect(row).toContainText('192.0.2.44:5060');
  await expect(row).toContainText('Polycom VVX 450');
  await sim('SimUnregister', { Endpoint: '1004' });
  expect(problems).toEqual([]);
});

test('columns sort both ways and the filter finds IPs and states', async ({ page }) => {
  await sim('SimRegister', { Endpoint: '1009', Via: '198.51.100.9:5070', UserAgent: 'Zoiper' });
  const problems = watchConsole(page);
  await page.goto('/endpoints');
  await hydrated(page);
  const rows = page.locator('tbody tr[data-endpoint]');
  await expect(page.locator('tr[data-endpoint="1009"]')).toHaveAttribute('data-state', 'online', { timeout: 7_000 });
  const names = () => rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-endpoint')));

  const ext = page.getByRole('columnheader', { name: 'Extension' });
  await expect(ext).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await names();
  await ext.getByRole('button').click();
  await expect(ext).toHaveAttribute('aria-sort', 'descending');
  expect(await names()).toEqual([...ascending].reverse());

  const status = page.getByRole('columnheader', { name: 'Status' });
  await status.getByRole('button').click();
  await expect(status).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows.first()).toHaveAttribute('data-state', 'online');
  await expect(rows.last()).toHaveAttribute('data-state', 'unmonitored');

  const filter = page.getByLabel('Filter');
  await filter.fill('198.51.100.9');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-endpoint', '1009');
  await filter.fill('unmonitored');
  await expect(rows).not.toHaveCount(0);
  for (const s of await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-state')))) expect(s).toBe('unmonitored');
  await filter.fill('no-such-thing');
  await expect(rows).toHaveCount(0);
  await sim('SimUnregister', { Endpoint: '1009' });
  expect(problems).toEqual([]);
});

test('from the list to the detail and its config, and back', async ({ page }) => {
  const problems = watchConsole(page);
  await sim('SimRegister', { Endpoint: '1001', Via: '192.0.2.11:5060', UserAgent: 'Yealink SIP-T54W' });
  const detail = async () =>
    (await page.request.get('/endpoints/1001', { headers: { Accept: 'application/json' } })).json();
  await expect.poll(async () => (await detail()).details.contacts.length).toBe(1);
  await page.goto('/endpoints');
  await hydrated(page);
  await page.locator('tr[data-endpoint="1001"] a').click();
  await expect(page).toHaveURL(/\/endpoints\/1001$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('1001');
  await expect(page.getByTestId('endpoint-config')).toContainText('context');

  // The contact's expiry reads as the time left on the registration the API reports.
  const left = (await detail()).details.contacts[0].expires - Date.now() / 1000;
  const expiry = await page.getByTestId('contacts').locator('tbody tr').first().locator('td').nth(5).innerText();
  const m = expiry.match(/^in (?:(\d+) h )?(?:(\d+) min)?\s?(?:(\d+) s)?$/);
  expect(m, expiry).not.toBeNull();
  const shown = Number(m![1] ?? 0) * 3600 + Number(m![2] ?? 0) * 60 + Number(m![3] ?? 0);
  expect(Math.abs(shown - left), `${expiry} vs ${left} s left`).toBeLessThan(90);
  await page.goBack();
  await expect(page).toHaveURL(/\/endpoints$/);
  await expect(page.locator('tr[data-endpoint="1001"]')).toBeVisible();

  // The config path of the API is a page for browsers too.
  await page.goto('/endpoints/1001/config');
  await hydrated(page);
  await expect(page.getByTestId('endpoint-config')).toContainText('context');
  const html = await page.content();
  for (const s of SECRETS) expect(html, s).not.toContain(s);
  expect(problems).toEqual([]);
  await sim('SimUnregister', { Endpoint: '1001' });
});

test('screenshots: list and detail at desktop and phone widths', async ({ page }) => {
  await sim('SimRegister', { Endpoint: '1001', Via: '192.0.2.11:5060', UserAgent: 'Yealink SIP-T54W' });
  await sim('SimRegister', { Endpoint: '1003', Via: '192.0.2.13:5060', UserAgent: 'Grandstream GXP2170' });
  for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
    await page.setViewportSize(size);
    for (const [what, url] of [['list', '/endpoints'], ['detail', '/endpoints/1001']]) {
      await page.goto(url);
      await hydrated(page);
      if (what === 'list') await expect(page.locator('tr[data-endpoint="1001"]')).toHaveAttribute('data-state', 'online');
      // Usable at phone width: the page itself never scrolls sideways (wide tables scroll in their box).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${what} at ${name} width`).toBeLessThanOrEqual(0);
      await screenshot(page, `${what}-${name}`);
    }
  }
  await sim('SimUnregister', { Endpoint: '1001' });
  await sim('SimUnregister', { Endpoint: '1003' });
});

/** A server of our own, so the test can take it away and bring it back. */
/** Its own state directory, kept across restarts as a real one is. */
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ispbx-e2e-restart-'));

function startServer(port: number): ChildProcess {
  return spawn(`${root}/target/release/ispbx`, ['serve'], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      ISPBX_LISTEN: `127.0.0.1:${port}`,
      ISPBX_PJSIP_CONF: `${root}/examples/sample-pbx/pjsip.conf`,
      ISPBX_SITE_ROOT: `${root}/target/site`,
      ISPBX_STATE_DIR: state,
      ISPBX_ANONYMOUS_READ: 'on',
    },
  });
}

async function waitUntilUp(page: Page, url: string) {
  await expect.poll(async () => (await page.request.get(url).catch(() => null))?.status() ?? 0, { timeout: 15_000 }).toBe(200);
}

test('"connection lost" appears when the server goes away and clears when it returns', async ({ page }) => {
  test.setTimeout(60_000);
  const port = PORT + 2;
  const url = `http://127.0.0.1:${port}/endpoints`;
  let server = startServer(port);
  try {
    await waitUntilUp(page, url);
    await page.goto(url);
    await hydrated(page);
    const banner = page.getByTestId('connection-lost');
    await expect(banner).toHaveCount(0);

    server.kill('SIGKILL');
    // The next poll (within 5 s) fails; the banner counts down to the retry.
    await expect(banner).toContainText(/Connection to the server lost — retrying in \d+ s/, { timeout: 8_000 });
    await screenshot(page, 'connection-lost');
    // The page stays usable meanwhile: the rows it had are still there.
    await expect(page.locator('tr[data-endpoint="1001"]')).toBeVisible();

    server = startServer(port);
    await waitUntilUp(page, url);
    // The first retry is 10 s after the failure.
    await expect(banner).toHaveCount(0, { timeout: 15_000 });
  } finally {
    server.kill('SIGKILL');
  }
});
