import { test, expect } from '@playwright/test';

// Figures for a 5,000-endpoint PBX on the release build: page weight, first
// paint, time to interactive (hydrated) and how fast the filter answers.
// Printed, not asserted: speed is measured here, never in the test suite.

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('dashboard with 5,000 endpoints', async ({ page, browser }) => {
  // Wait until the server is live on the simulated PBX.
  await expect.poll(async () => (await (await page.request.get('/endpoints')).json()).ami.connected, { timeout: 30_000 }).toBe(true);

  const loads: { weight: number; gz: number; fcp: number; tti: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext({ extraHTTPHeaders: {} });
    const p = await ctx.newPage();
    await p.goto('/endpoints');
    await expect(p.locator('main[data-hydrated="true"]')).toBeAttached({ timeout: 60_000 });
    const m = await p.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      return {
        weight: nav.decodedBodySize + res.reduce((a, r) => a + r.decodedBodySize, 0),
        gz: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
        fcp,
        tti: performance.now(),
      };
    });
    loads.push(m);
    await ctx.close();
  }
  await page.goto('/endpoints');
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached({ timeout: 60_000 });
  const total = await page.getByTestId('count-total').textContent();

  // Type a query and wait for the rows to change: input event → DOM updated.
  const queries = ['10042', '10.20.3', 'offline', 'yealink 104', '1', 'zzz', ''];
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      times.push(await page.evaluate(async (q) => {
        const input = document.getElementById('filter') as HTMLInputElement;
        const count = document.querySelector('[data-testid="match-count"]')!;
        const before = count.textContent;
        const t0 = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        // Leptos updates the DOM synchronously in the event handler; wait a frame
        // so layout is included, as the user sees it.
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const t1 = performance.now();
        if (count.textContent === before && q !== '') throw new Error(`filter '${q}' did not update`);
        return t1 - t0;
      }, q));
    }
  }
  const fmt = (n: number) => n.toFixed(1);
  console.log(`\n== dashboard, ${total} endpoints (release build, headless Chromium)`);
  console.log(`   page weight: ${(median(loads.map((l) => l.weight)) / 1024).toFixed(0)} KiB decoded, ${(median(loads.map((l) => l.gz)) / 1024).toFixed(0)} KiB transferred`);
  console.log(`   first contentful paint: median ${fmt(median(loads.map((l) => l.fcp)))} ms`);
  console.log(`   time to interactive (hydrated): median ${fmt(median(loads.map((l) => l.tti)))} ms over ${loads.length} loads`);
  console.log(`   filter, input → next frame: median ${fmt(median(times))} ms, max ${fmt(Math.max(...times))} ms over ${times.length} queries`);
});
