import { Page, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

/** Collects console errors, page errors and hydration warnings of a page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' || /hydrat/i.test(text)) problems.push(`${msg.type()}: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return problems;
}

/** Resolves once the WASM has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
}

export const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

import net from 'node:net';
import { SIM_PORT } from '../playwright.config';

/** Sends one AMI action to the simulated PBX and resolves with its response block. */
export function sim(action: string, headers: Record<string, string> = {}): Promise<string> {
  return simAt(SIM_PORT, 'e2e', 'e2e-sim-secret', action, headers);
}

/** `sim` against another simulator (the benchmarks' own). */
export function simAt(port: number, user: string, secret: string, action: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let stage = 0;
    sock.setTimeout(5000, () => { sock.destroy(); reject(new Error('simulator timed out')); });
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString();
      if (stage === 0 && buf.includes('\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n') + 2);
        stage = 1;
        sock.write(`Action: Login\r\nUsername: ${user}\r\nSecret: ${secret}\r\nEvents: off\r\n\r\n`);
      }
      if (stage === 1 && buf.includes('\r\n\r\n')) {
        if (!buf.startsWith('Response: Success')) { sock.destroy(); reject(new Error(buf)); return; }
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        stage = 2;
        const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        sock.write(`Action: ${action}\r\nActionID: e2e\r\n${lines}\r\n`);
      }
      if (stage === 2 && buf.includes('\r\n\r\n')) {
        const block = buf.slice(0, buf.indexOf('\r\n\r\n'));
        sock.end();
        if (!block.startsWith('Response: Success')) reject(new Error(block)); else resolve(block);
      }
    });
  });
}

/** Secrets of the sample PBX and of the test setup: none may reach a browser. */
export const SECRETS = [
  'Sample-1001-secret', 'Sample-1013-secret', 'Sample-TLS-keypass', 'Sample-Wizard-2001',
  'Sample-Provider-secret', '5f2b1c4e9a8d7b6c3e2f1a0b9c8d7e6f', 'e2e-sim-secret',
];

/** Logs in through the login page (a plain form: works with JavaScript off too). */
export async function logIn(page: Page, baseUrl: string, who: { name: string; password: string }, next = '/endpoints') {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('User name').fill(who.name);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${baseUrl}${next}`);
}
