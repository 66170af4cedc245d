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

test('an admin adds an account and a token from the dashboard; the new viewer may not manage them', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, LOCKED_URL, ACCOUNTS.admin);
  await hydrated(page);
  await page.getByTestId('access-link').click();
  await expect(page.getByRole('heading', { name: 'Accounts and tokens' })).toBeVisible();
  await expect(page.locator(`[data-account="${ACCOUNTS.admin.name}"]`)).toContainText('(you)');

  // An account with a generated password, shown once.
  const add = page.getByTestId('add-account');
  await add.getByLabel('User name').fill('carol');
  await add.getByLabel('Role').selectOption('viewer');
  await add.getByRole('button', { name: 'Add the account' }).click();
  const password = (await page.getByTestId('new-password').getByTestId('secret').textContent())!.trim();
  expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
  await expect(page.locator('[data-account="carol"] [data-testid="account-role"]')).toHaveText('viewer');

  // A token, shown once, that works at once and stops when revoked.
  const create = page.getByTestId('create-token');
  await create.getByLabel('Name').fill('wallboard');
  await create.getByLabel('Works for').selectOption('30');
  await create.getByRole('button', { name: 'Create the token' }).click();
  const token = (await page.getByTestId('new-token').getByTestId('secret').textContent())!.trim();
  expect(token).toMatch(/^ispbx_/);
  const asToken = { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } };
  expect((await page.request.get(`${LOCKED_URL}/endpoints/1001`, asToken)).status()).toBe(200);
  await expect(page.locator('[data-token="wallboard"] [data-testid="token-state"]')).toHaveText('live');
  await page.getByRole('button', { name: 'Revoke wallboard' }).click();
  await expect(page.locator('[data-token="wallboard"] [data-testid="token-state"]')).toContainText('revoked');
  expect((await page.request.get(`${LOCKED_URL}/endpoints/1001`, asToken)).status()).toBe(401);

  // Reloaded, the page shows neither secret again.
  await page.reload();
  await hydrated(page);
  const html = await page.content();
  expect(html).not.toContain(password);
  expect(html).not.toContain(token);
  expect(html).not.toContain('$argon2');

  // The admin's logins and changes are in the audit log.
  await page.goto(`${LOCKED_URL}/changes?kind=access`);
  await expect(page.locator('[data-kind="access"]').filter({ hasText: 'token_revoke' })).toHaveCount(1);

  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, LOCKED_URL, { name: 'carol', password });
  await hydrated(page);
  await expect(page.getByTestId('role')).toHaveText('viewer');
  await expect(page.getByTestId('access-link')).toHaveCount(0);
  await page.goto(`${LOCKED_URL}/access`);
  await expect(page.getByTestId('access-refused')).toHaveText('only an admin may manage accounts and tokens');
  await page.goto(`${LOCKED_URL}/changes?kind=access`);
  await expect(page.getByRole('alert')).toContainText('access events (logins, accounts, tokens) are for admins');
  // The two refusals are answered 403, which the browser reports; nothing else went wrong.
  expect(problems.filter((p) => !p.includes('HTTP 4') && !p.includes('status of 403'))).toEqual([]);
});
