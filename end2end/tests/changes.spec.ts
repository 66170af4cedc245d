import { test, expect, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hydrated, logIn, screenshot, watchConsole } from './helpers';
import { ACCOUNTS, BASE_URL, REAL_PBX } from '../playwright.config';

// Changing the PBX from the dashboard, proven on a real Asterisk 22
// (end2end/real-pbx.sh serves it with writes on): each change is checked,
// applied, followed through its phases and verified by Asterisk.
const root = path.resolve(__dirname, '..', '..');
const phones: ChildProcess[] = [];
test.afterAll(() => phones.forEach((p) => p.kill('SIGKILL')));

/** sipp registering as `user` with `password` and answering qualify (UDP,
 * on ports clear of real_pbx.spec.ts's), until the tests end. */
function register(user: string, password: string) {
  const pbx = REAL_PBX!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ispbx-e2e-sipp-'));
  const p = spawn('sipp', [
    `127.0.0.1:${pbx.sip}`, '-sf', `${root}/tests/asterisk/sipp/register.xml`,
    '-s', user, '-au', user, '-ap', password,
    '-i', '127.0.0.1', '-mi', '127.0.0.1',
    '-p', String(pbx.phone + 5), '-mp', String(pbx.phone + 40), '-cp', String(pbx.phone + 56),
    '-t', 'u1', '-m', '1', '-l', '1', '-aa', '-nostdin',
  ], { cwd: dir, stdio: 'ignore' });
  phones.push(p);
}

/** The change page once Asterisk's verdict is in. */
async function applied(page: Page) {
  await expect(page).toHaveURL(/\/changes\/\d+$/);
  await expect(page.getByTestId('result')).toHaveAttribute('data-result', 'applied');
  for (const phase of ['validating', 'writing', 'reloading', 'verifying']) {
    await expect(page.locator(`[data-testid="steps"] li[data-phase="${phase}"]`)).toHaveAttribute('data-state', 'done');
    await expect(page.locator(`[data-testid="steps"] li[data-phase="${phase}"]`)).toContainText(/\d+ ms/);
  }
}

test.describe('on a real Asterisk', () => {
  test.skip(!REAL_PBX, 'no Asterisk 22: scripts/test.sh sets ISPBX_TEST_ASTERISK when it finds or builds one');
  // Reading needs no login there (anonymous read); changing needs an admin.
  test.beforeEach(async ({ page }) => logIn(page, REAL_PBX!.url, ACCOUNTS.admin));

  test('a codec changed in the form is checked, applied, followed and verified', async ({ page }) => {
    const problems = watchConsole(page);
    const events: string[] = [];
    await page.goto(`${REAL_PBX!.url}/endpoints/1002`);
    await hydrated(page);
    const row = page.locator('[data-testid="endpoint-config"] tr[data-option="allow"]');
    await row.locator('summary').click();
    const input = row.locator('#edit-endpoint-allow');
    await expect(input).toHaveValue('ulaw,alaw,g722');
    await expect(row.locator('.help')).toContainText('order of preference');
    await input.fill('g722,ulaw');
    await row.getByRole('button', { name: 'Review change' }).click();

    await expect(page).toHaveURL(/\/endpoints\/1002\/edit\?/);
    await expect(page.getByTestId('diff')).toContainText('+allow=g722,ulaw');
    await expect(page.getByTestId('diff')).not.toContainText('Sample-1002');
    await hydrated(page);
    // The change's phases as /events announces them, seen from the page
    // (the apply goes on to the change's page without reloading).
    await page.evaluate(() => new Promise<void>((resolve) => {
      const seen: string[] = ((window as any).__phases = []);
      const source = new EventSource('/events');
      source.addEventListener('change', (e) => seen.push(JSON.parse((e as MessageEvent).data).phase));
      source.onopen = () => resolve();
    }));
    await page.getByTestId('apply').click();

    await applied(page);
    const check = page.locator('[data-testid="verification"] tr', { hasText: 'allow' });
    await expect(check).toHaveAttribute('data-ok', 'true');
    await expect(check).toContainText('g722,ulaw');
    await screenshot(page, 'change-applied');
    await expect.poll(() => page.evaluate(() => (window as any).__phases as string[])).toContain('done');
    events.push(...(await page.evaluate(() => (window as any).__phases as string[])));
    expect(events).toEqual(expect.arrayContaining(['verifying', 'done']));

    await page.getByRole('link', { name: '1002' }).click();
    await expect(page.locator('tr[data-option="allow"] [data-label="value"]')).toContainText('g722,ulaw');
    expect(problems).toEqual([]);
  });

  test('an invalid value is explained in place and offers nothing to apply', async ({ page }) => {
    await page.goto(`${REAL_PBX!.url}/endpoints/1002/edit?object=endpoint&option=dtmf_mode&value=loud`);
    await hydrated(page);
    const refused = page.getByTestId('refused');
    await expect(refused).toContainText('dtmf_mode');
    await expect(page.locator('#value')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('apply')).toHaveCount(0);
  });

  test('a value inherited from a template is overridden in the endpoint, or changed in the template by choice', async ({ page }) => {
    await page.goto(`${REAL_PBX!.url}/endpoints/1005`);
    const row = page.locator('[data-testid="endpoint-config"] tr[data-option="language"]');
    await expect(row).toContainText('template phone');
    await row.locator('summary').click();
    await row.locator('input[name="value"]').fill('fr');
    await row.getByRole('button', { name: 'Review change' }).click();
    await expect(page.getByTestId('diff')).toContainText('+language=fr');
    await expect(page.getByTestId('notes')).toHaveCount(0);

    await page.goto(`${REAL_PBX!.url}/endpoints/1005`);
    await row.locator('summary').click();
    await row.locator('input[name="value"]').fill('fr');
    await row.getByLabel(/the template phone/).check();
    await row.getByRole('button', { name: 'Review change' }).click();
    await expect(page.getByTestId('diff')).toContainText('-language=en');
    await expect(page.getByTestId('notes')).toContainText(/changes template \[phone\].*\d+ object\(s\) inherit it/);
  });

  test('a change Asterisk refuses is rolled back, and the page says why', async ({ page }) => {
    // ISPBX's checks pass it (the file is looked for on Asterisk's disk); Asterisk keeps the old endpoint.
    await page.goto(`${REAL_PBX!.url}/endpoints/1006/edit?object=endpoint&option=dtls_cert_file&value=/nonexistent/ispbx-e2e.pem`);
    await hydrated(page);
    await page.getByTestId('apply').click();
    await expect(page).toHaveURL(/\/changes\/\d+$/);
    await expect(page.getByTestId('result')).toHaveAttribute('data-result', 'rolled_back');
    await expect(page.locator('[data-testid="steps"] li[data-phase="rolling_back"]')).toHaveAttribute('data-state', 'done');
    await expect(page.locator('[data-testid="steps"] li[data-phase="verifying"]')).toHaveAttribute('data-state', 'failed');
    await expect(page.getByTestId('detail')).toContainText('dtls_cert_file');
    await expect(page.locator('[data-testid="verification"] tr[data-ok="false"]')).toContainText('dtls_cert_file');
    await expect(page.getByTestId('revert')).toHaveCount(0);
    await screenshot(page, 'change-rolled-back');
  });

  test('a new extension registers with its password, then is deleted', async ({ page }) => {
    test.setTimeout(60_000);
    const problems = watchConsole(page);
    await page.goto(`${REAL_PBX!.url}/endpoints`);
    await hydrated(page);
    await page.getByRole('link', { name: 'New extension' }).click();
    await page.getByLabel('Extension').fill('1077');
    await page.getByLabel('Template').selectOption('phone');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect(page.getByTestId('diff')).toContainText('[1077](phone)');
    await page.getByTestId('create').click();

    await applied(page);
    const password = (await page.locator('[data-testid="password"] code').textContent())!.trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    // Shown once: asked again, the page no longer has it.
    await page.reload();
    await expect(page.getByTestId('result')).toHaveAttribute('data-result', 'applied');
    await expect(page.getByTestId('password')).toHaveCount(0);
    expect(await page.content()).not.toContain(password);

    register('1077', password);
    await page.goto(`${REAL_PBX!.url}/endpoints`);
    await expect(page.locator('tr[data-endpoint="1077"]')).toHaveAttribute('data-state', 'online');

    await page.goto(`${REAL_PBX!.url}/endpoints/1077`);
    await hydrated(page);
    await page.getByTestId('delete-extension').click();
    const removed = page.getByTestId('removed');
    await expect(removed).toContainText('endpoint 1077');
    await expect(removed).toContainText('auth 1077');
    await expect(removed).toContainText('aor 1077');
    await page.getByTestId('confirm-delete').click();
    await applied(page);
    await page.goto(`${REAL_PBX!.url}/endpoints`);
    await hydrated(page);
    await expect(page.locator('tr[data-endpoint="1002"]')).toBeVisible();
    await expect(page.locator('tr[data-endpoint="1077"]')).toHaveCount(0);
    expect(problems).toEqual([]);
  });

  test('without JavaScript: edit, apply, follow the change, revert it', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await logIn(page, REAL_PBX!.url, ACCOUNTS.admin);
    await page.goto(`${REAL_PBX!.url}/endpoints/1004`);
    const row = page.locator('[data-testid="endpoint-config"] tr[data-option="dtmf_mode"]');
    await row.locator('summary').click();
    await row.locator('select[name="value"]').selectOption('info');
    await row.getByRole('button', { name: 'Review change' }).click();
    await expect(page.getByTestId('diff')).toContainText('+dtmf_mode=info');
    await page.getByTestId('apply').click();
    // The page reloads itself while the change runs.
    await applied(page);
    const id = Number(page.url().split('/').pop());

    await page.getByTestId('revert').click();
    await applied(page);
    expect(Number(page.url().split('/').pop())).toBeGreaterThan(id);
    await expect(page.getByTestId('diff')).toContainText('-dtmf_mode=info');

    await page.goto(`${REAL_PBX!.url}/changes?endpoint=1004`);
    const rows = page.locator('[data-testid="changes"] tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText('revert');
    await context.close();
  });
});

test('without an admin logged in, pages offer no change', async ({ page }) => {
  test.skip(!REAL_PBX, 'no Asterisk 22');
  await page.goto(`${REAL_PBX!.url}/endpoints/1001`);
  await hydrated(page);
  await expect(page.getByTestId('endpoint-config')).toBeVisible();
  await expect(page.locator('details.edit')).toHaveCount(0);
  await expect(page.getByTestId('login-link')).toBeVisible();
});

test('with writes off, pages offer no change', async ({ page }) => {
  await page.goto(`${BASE_URL}/endpoints/1001`);
  await hydrated(page);
  await expect(page.getByTestId('endpoint-config')).toBeVisible();
  await expect(page.locator('details.edit')).toHaveCount(0);
  await expect(page.getByTestId('delete-extension')).toHaveCount(0);
  await page.goto(`${BASE_URL}/changes`);
  await expect(page.locator('main')).toContainText('Writes are off');
  await page.goto(`${BASE_URL}/new-extension`);
  await expect(page.locator('main')).toContainText('Writes are off');
});
