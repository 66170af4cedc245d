import { test, expect } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hydrated, screenshot, watchConsole } from './helpers';
import { REAL_PBX } from '../playwright.config';

// The dashboard on a real Asterisk 22 (end2end/real-pbx.sh) with a sipp phone.
test.skip(!REAL_PBX, 'no Asterisk 22: scripts/test.sh sets ISPBX_TEST_ASTERISK when it finds or builds one');

const root = path.resolve(__dirname, '..', '..');
const phones: ChildProcess[] = [];
test.afterAll(() => phones.forEach((p) => p.kill('SIGKILL')));

/** sipp playing one of tests/asterisk/sipp as 1001 (the sample PBX's password), UDP. */
function sipp(scenario: string, offset: number, holdMs = 0): ChildProcess {
  const pbx = REAL_PBX!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ispbx-e2e-sipp-'));
  const p = spawn('sipp', [
    `127.0.0.1:${pbx.sip}`, '-sf', `${root}/tests/asterisk/sipp/${scenario}.xml`,
    '-s', '1001', '-au', '1001', '-ap', 'Sample-1001-secret',
    '-i', '127.0.0.1', '-mi', '127.0.0.1',
    '-p', String(pbx.phone + offset), '-mp', String(pbx.phone + 20 + offset * 4), '-cp', String(pbx.phone + 50 + offset),
    '-t', 'u1', '-m', '1', '-l', '1', '-aa', '-nostdin', '-d', String(holdMs),
  ], { cwd: dir, stdio: 'ignore' });
  phones.push(p);
  return p;
}

test('the dashboard shows a sipp phone registering to Asterisk, then its call', async ({ page }) => {
  test.setTimeout(60_000);
  const problems = watchConsole(page);
  await page.goto(`${REAL_PBX!.url}/endpoints`);
  await hydrated(page);
  const row = page.locator('tr[data-endpoint="1001"]');
  const channels = row.locator('[data-label="channels"]');
  await expect(row).toHaveAttribute('data-state', 'offline');

  sipp('register', 0);
  await expect(row).toHaveAttribute('data-state', 'online');
  await expect(row).toContainText('ISPBX test phone 1001');
  await expect(row).toContainText(`127.0.0.1:${REAL_PBX!.phone}`);

  // The page polls every 5 s (live push is to come): a call longer than that shows.
  const call = sipp('call', 1, 12_000);
  const ended = new Promise<number | null>((resolve) => call.on('exit', resolve));
  await expect(channels).toHaveText('1', { timeout: 10_000 });
  await screenshot(page, 'real-pbx-call');
  await expect(channels).toHaveText('0', { timeout: 25_000 });
  expect(await ended, 'sipp placed the call and hung up cleanly').toBe(0);
  await expect(row).toHaveAttribute('data-state', 'online');
  expect(problems).toEqual([]);
});
