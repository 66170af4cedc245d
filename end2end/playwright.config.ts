import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Debian's Chromium, never a downloaded browser (this network cannot fetch one).
const root = path.resolve(__dirname, '..');
export const PORT = Number(process.env.ISPBX_E2E_PORT ?? 8011);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** A second server with no AMI configured, for the "AMI not connected" case. */
export const NO_AMI_URL = `http://127.0.0.1:${PORT + 1}`;
export const SIM_PORT = PORT + 27000;
/** A server that asks for credentials (no anonymous read), with one account of each role. */
export const LOCKED_URL = `http://127.0.0.1:${PORT + 4}`;
export const ACCOUNTS = {
  admin: { name: 'e2e-admin', password: 'E2e-Admin-Password-1' },
  viewer: { name: 'e2e-viewer', password: 'E2e-Viewer-Password-1' },
};
/** A real Asterisk 22 and a server on it, when scripts/test.sh found one (ISPBX_TEST_ASTERISK). */
export const REAL_PBX = process.env.ISPBX_TEST_ASTERISK ? {
  url: `http://127.0.0.1:${PORT + 3}`,
  // Below the kernel's ephemeral range, clear of the other servers.
  ami: PORT + 17100,
  sip: PORT + 17101,
  rtp: [PORT + 17200, PORT + 17239],
  /** Local ports for the sipp phones. */
  phone: PORT + 17300,
} : null;
const bin = `${root}/target/release/ispbx`;
const conf = `${root}/examples/sample-pbx/pjsip.conf`;
const common = { ISPBX_PJSIP_CONF: conf, ISPBX_SITE_ROOT: `${root}/target/site`, RUST_LOG: 'info' };
/** A state directory of its own for each server: never the user's. */
const stateDir = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ispbx-e2e-${name}-`));
/** The reading servers serve the demo as the specification has it: no login. */
const anonymous = { ISPBX_ANONYMOUS_READ: 'on' };

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
  // The simulated PBX (AMI), the release server live on it, and one without AMI.
  // Playwright polls each until it answers, so nothing sleeps waiting for it.
  webServer: [
    {
      command: `${bin} simulate --ami-listen 127.0.0.1:${SIM_PORT}`,
      cwd: root,
      port: SIM_PORT,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { ...common, ISPBX_SIM_USERNAME: 'e2e', ISPBX_SIM_SECRET: 'e2e-sim-secret' },
    },
    {
      command: `${bin} serve`,
      cwd: root,
      url: `${BASE_URL}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...common,
        ISPBX_LISTEN: `127.0.0.1:${PORT}`,
        ISPBX_AMI_ADDR: `127.0.0.1:${SIM_PORT}`,
        ISPBX_AMI_USERNAME: 'e2e',
        ISPBX_AMI_SECRET: 'e2e-sim-secret',
        ...anonymous,
        ISPBX_STATE_DIR: stateDir('main'),
      },
    },
    {
      command: `${bin} serve`,
      cwd: root,
      url: `${NO_AMI_URL}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { ...common, ...anonymous, ISPBX_LISTEN: `127.0.0.1:${PORT + 1}`, ISPBX_STATE_DIR: stateDir('no-ami') },
    },
    {
      command: `${root}/end2end/locked-server.sh`,
      cwd: root,
      url: `${LOCKED_URL}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ...common,
        ISPBX_LISTEN: `127.0.0.1:${PORT + 4}`,
        ISPBX_STATE_DIR: stateDir('locked'),
        E2E_ADMIN: ACCOUNTS.admin.name,
        E2E_ADMIN_PASSWORD: ACCOUNTS.admin.password,
        E2E_VIEWER: ACCOUNTS.viewer.name,
        E2E_VIEWER_PASSWORD: ACCOUNTS.viewer.password,
      },
    },
    ...(REAL_PBX ? [{
      command: `${root}/end2end/real-pbx.sh`,
      cwd: root,
      url: `${REAL_PBX.url}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ...common,
        ...anonymous,
        ISPBX_LISTEN: `127.0.0.1:${PORT + 3}`,
        ISPBX_TEST_ASTERISK: process.env.ISPBX_TEST_ASTERISK!,
        E2E_ADMIN: ACCOUNTS.admin.name,
        E2E_ADMIN_PASSWORD: ACCOUNTS.admin.password,
        AST_AMI_PORT: String(REAL_PBX.ami),
        AST_SIP_PORT: String(REAL_PBX.sip),
        AST_RTP_START: String(REAL_PBX.rtp[0]),
        AST_RTP_END: String(REAL_PBX.rtp[1]),
      },
    }] : []),
  ],
});
