import { defineConfig } from '@playwright/test';
import path from 'node:path';

// Debian's Chromium, never a downloaded browser (this network cannot fetch one).
const root = path.resolve(__dirname, '..');
export const PORT = Number(process.env.ISPBX_E2E_PORT ?? 8011);
export const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
  // The release server on the sample PBX. Playwright polls the URL until it
  // answers, so nothing sleeps waiting for it.
  webServer: {
    command: `${root}/target/release/ispbx serve`,
    cwd: root,
    url: `${BASE_URL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ISPBX_LISTEN: `127.0.0.1:${PORT}`,
      ISPBX_PJSIP_CONF: `${root}/examples/sample-pbx/pjsip.conf`,
      ISPBX_SITE_ROOT: `${root}/target/site`,
      RUST_LOG: 'info',
    },
  },
});
