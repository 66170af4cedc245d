import { test, expect } from '@playwright/test';
import { hydrated, screenshot, sim, SECRETS, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a registration in the PBX shows up without a reload, within one poll', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/endpoints');
  await hydrated(page);
  const row = page.locator('tr[data-endpoint="1007"]');
  await expect(row).toHaveAttribute('data-state', 'offline');
  await expect(page.getByTestId('ami-banner')).toHaveCount(0);
  // The page follows /events (it polls only while the stream is down).
  await expect(page.getByTestId('feed-mode')).toHaveAttribute('data-mode', 'live');
  await expect(page.getByTestId('feed-mode')).toHaveText('live');

  await sim('SimRegister', { Endpoint: '1007', Via: '192.0.2.77:5062', UserAgent: 'Yealink T46U' });
  // The page polls every 5 s: allow one interval plus a little.
  await expect(row).toHaveAttribute('data-state', 'online', { timeout: 7_000 });
  await expect(row).toContainText('192.0.2.77:5062');
  await expect(row).toContainText('Yealink T46U');
  await screenshot(page, 'live-registered');

  await sim('SimUnregister', { Endpoint: '1007' });
  await expect(row).toHaveAttribute('data-state', 'offline', { timeout: 7_000 });
  expect(problems).toEqual([]);
});

test('a call shows as an active channel and in the in-call count', async ({ page }) => {
  await sim('SimRegister', { Endpoint: '1002', Via: '192.0.2.12:5060' });
  await sim('SimCall', { Endpoint: '1002' });
  await page.goto('/endpoints');
  await hydrated(page);
  const row = page.locator('tr[data-endpoint="1002"]');
  await expect(row.locator('td.num')).toHaveText('1');
  await expect(page.getByTestId('count-in-call')).toHaveText('1');
  await sim('SimHangup', { Endpoint: '1002' });
  await expect(row.locator('td.num')).toHaveText('0', { timeout: 7_000 });
  await sim('SimUnregister', { Endpoint: '1002' });
});

test('the detail page shows the effective config with its sources and no secret', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/endpoints');
  await hydrated(page);
  await page.locator('tr[data-endpoint="1013"] a').click();
  await expect(page).toHaveURL(/\/endpoints\/1013$/);
  const config = page.getByTestId('endpoint-config');
  await expect(config).toContainText('allow');
  // Reception's allow list: two templates, then the (+) append in pjsip.conf.
  await expect(config).toContainText('ulaw,alaw,g722,h264');
  await expect(config).toContainText('pjsip_users.conf');
  await expect(config).toContainText('endpoint-basic');
  await screenshot(page, 'detail-1013');

  const html = await page.content();
  const source = await (await page.request.get('/endpoints/1013', { headers: { Accept: 'text/html' } })).text();
  for (const s of SECRETS) {
    expect(html, s).not.toContain(s);
    expect(source, s).not.toContain(s);
  }
  expect(problems).toEqual([]);
});

test('a page left while its fetch is in flight ends quietly, and the next page stays live', async ({ page }) => {
  const problems = watchConsole(page);
  // Hold the list's first fetch (made when /events opens) until the page is left.
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let held = 0;
  await page.route('**/api/list_endpoints', async (route) => {
    if (held++ === 0) await released;
    await route.continue();
  });
  const heldFetch = page.waitForRequest('**/api/list_endpoints');
  await page.goto('/endpoints');
  await hydrated(page);
  const fetch = await heldFetch;
  await page.locator('tr[data-endpoint="1013"] a').click();
  await expect(page).toHaveURL(/\/endpoints\/1013$/);
  await expect(page.getByTestId('detail-devicestate')).toHaveText('Unavailable');
  release();
  await (await fetch.response())?.finished();

  // The detail page must still follow the PBX: a dead WASM would not.
  await sim('SimRegister', { Endpoint: '1013', Via: '192.0.2.13:5060' });
  await expect(page.getByTestId('detail-devicestate')).toHaveText('Not in use', { timeout: 7_000 });
  await sim('SimUnregister', { Endpoint: '1013' });
  await expect(page.getByTestId('detail-devicestate')).toHaveText('Unavailable', { timeout: 7_000 });
  expect(problems).toEqual([]);
});
