import { test, expect } from '@playwright/test';
import { simAt } from '../tests/helpers';
import { BENCH_PORT } from '../playwright.bench.config';

// Change → browser: from the AMI action that registers or unregisters a
// phone in the simulated 5,000-endpoint PBX to its row changing in Chromium,
// over 50 changes. Printed, not asserted: speed is measured here.

const SIM = BENCH_PORT + 27000;

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}

test('change to browser latency with 5,000 endpoints', async ({ page }) => {
  await expect.poll(async () => (await (await page.request.get('/endpoints')).json()).ami.connected, { timeout: 30_000 }).toBe(true);
  await page.goto('/endpoints');
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached({ timeout: 60_000 });
  await expect(page.getByTestId('feed-mode')).toHaveAttribute('data-mode', 'live', { timeout: 30_000 });
  const name = '10000';
  await expect(page.locator(`tr[data-endpoint="${name}"]`)).toBeAttached();
  const ms: number[] = [];
  for (let i = 0; i < 51; i++) {
    const online = i % 2 === 1;
    const t0 = Date.now();
    await simAt(SIM, 'bench', 'bench-sim-secret', online ? 'SimRegister' : 'SimUnregister', { Endpoint: name });
    await page.waitForFunction(
      ([n, s]) => document.querySelector(`tr[data-endpoint="${n}"]`)?.getAttribute('data-state') === s,
      [name, online ? 'online' : 'offline'],
      { polling: 'raf', timeout: 15_000 },
    );
    // The first change only puts the row in a known state.
    if (i > 0) ms.push(Date.now() - t0);
  }
  console.log(`change -> browser over ${ms.length} changes: p50 ${pct(ms, 50)} ms, p95 ${pct(ms, 95)} ms, max ${Math.max(...ms)} ms`);
});
