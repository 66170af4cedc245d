import { test, expect } from '@playwright/test';
import { hydrated, screenshot, watchConsole } from './helpers';
import { NO_AMI_URL } from '../playwright.config';

test('API clients get the specification JSON on /', async ({ request }) => {
  for (const accept of [undefined, '*/*', 'application/json']) {
    const res = await request.get('/', { headers: accept ? { Accept: accept } : {} });
    expect(res.status(), `Accept: ${accept}`).toBe(200);
    expect(res.headers()['content-type']).toContain('application/json');
    expect(res.headers()['vary']?.toLowerCase()).toContain('accept');
    expect(await res.json()).toEqual({ message: 'ISPBX Manager API' });
  }
});

test('a browser gets the dashboard on /, and it hydrates', async ({ page }) => {
  const problems = watchConsole(page);
  const res = await page.goto('/');
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-type']).toContain('text/html');
  expect(res?.headers()['vary']?.toLowerCase()).toContain('accept');

  // The server-rendered page already lists the sample PBX's endpoints.
  const rows = page.locator('tr[data-endpoint]');
  await expect(rows.first()).toBeVisible();
  const total = await rows.count();
  expect(total).toBeGreaterThan(10);

  await hydrated(page);

  // Filtering works only once the WASM runs: typing does not reload the page.
  await page.getByLabel('Filter').fill('1003');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-endpoint', '1003');
  await expect(page.getByTestId('match-count')).toHaveText(`1 of ${total}`);
  await page.getByLabel('Filter').fill('');
  await expect(rows).toHaveCount(total);

  await screenshot(page, 'foundation-home');
  expect(problems).toEqual([]);
});

test('without Asterisk the dashboard says so and shows every endpoint offline', async ({ page }) => {
  const problems = watchConsole(page);
  const res = await page.goto(`${NO_AMI_URL}/endpoints`);
  expect(res?.status()).toBe(200);
  await expect(page.getByTestId('ami-banner')).toContainText('AMI not connected');
  await expect(page.locator('tr[data-endpoint]').first()).toBeVisible();
  await expect(page.locator('tr[data-endpoint][data-state="online"]')).toHaveCount(0);
  await hydrated(page);
  expect(problems).toEqual([]);
});
