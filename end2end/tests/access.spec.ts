import { test, expect } from '@playwright/test';
import { hydrated, logIn, watchConsole } from './helpers';
import { ACCOUNTS, LOCKED_URL } from '../playwright.config';

// A server with no anonymous read: every page asks for a login first.
test('log in, see the dashboard, log out, and the pages are closed again', async ({ page, context }) => {
  const problems = watchConsole(page);
  await page.goto(`${LOCKED_URL}/endpoints/1001`);
  await expect(page).toHaveURL(`${LOCKED_URL}/login?next=%2Fendpoints%2F1001`);

  await page.getByLabel('User name').fill(ACCOUNTS.viewer.name);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('login-failed')).toHaveText('Wrong user name or password.');

  await page.getByLabel('User name').fill(ACCOUNTS.viewer.name);
  await page.getByLabel('Password').fill(ACCOUNTS.viewer.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${LOCKED_URL}/endpoints/1001`);
  await hydrated(page);
  await expect(page.getByTestId('user')).toContainText(ACCOUNTS.viewer.name);
  await expect(page.getByTestId('role')).toHaveText('viewer');
  await expect(page.getByTestId('detail-name')).toHaveText('1001');

  // The session id is in an HttpOnly cookie and nowhere in the page.
  const cookie = (await context.cookies()).find((c) => c.name === 'ispbx_session')!;
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(await page.content()).not.toContain(cookie.value);
  expect(await page.evaluate(() => document.cookie)).not.toContain('ispbx_session');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(`${LOCKED_URL}/login`);
  await page.goto(`${LOCKED_URL}/endpoints`);
  await expect(page).toHaveURL(/\/login\?next=%2Fendpoints$/);
  expect(problems.filter((p) => !p.includes('HTTP 4'))).toEqual([]);
});

test('a viewer is refused a change; a post from another site is refused even for an admin', async ({ page }) => {
  await logIn(page, LOCKED_URL, ACCOUNTS.viewer);
  const form = { extension: '1001', object: 'endpoint', option: 'context', value: 'vip', scope: '', version: 'x' };
  const asViewer = await page.request.post(`${LOCKED_URL}/api/apply_option`, { form });
  expect(asViewer.status()).toBe(403);
  await page.request.post(`${LOCKED_URL}/logout`);

  await logIn(page, LOCKED_URL, ACCOUNTS.admin);
  await expect(page.getByTestId('role')).toHaveText('admin');
  const forged = await page.request.post(`${LOCKED_URL}/api/apply_option`, { form, headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
  expect(forged.status()).toBe(403);
  expect(await forged.text()).toContain('another site');
});
