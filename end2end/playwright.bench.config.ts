import { defineConfig } from '@playwright/test';
import base from './playwright.config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The dashboard against a generated 5,000-endpoint PBX (scripts/bench-dashboard.sh
// writes the config and sets ISPBX_BENCH_CONF). Prints figures; asserts no timing.
const root = path.resolve(__dirname, '..');
const bin = `${root}/target/release/ispbx`;
const conf = process.env.ISPBX_BENCH_CONF ?? '/tmp/ispbx-bench/pjsip.conf';
export const BENCH_PORT = Number(process.env.ISPBX_BENCH_PORT ?? 8031);
const SIM = BENCH_PORT + 27000;
const common = { ISPBX_PJSIP_CONF: conf, ISPBX_SITE_ROOT: `${root}/target/site`, RUST_LOG: 'warn' };

export default defineConfig({
  ...base,
  testDir: './bench',
  timeout: 120_000,
  use: { ...base.use, baseURL: `http://127.0.0.1:${BENCH_PORT}` },
  webServer: [
    {
      command: `${bin} simulate --demo --ami-listen 127.0.0.1:${SIM}`,
      cwd: root,
      port: SIM,
      reuseExistingServer: false,
      env: { ...common, ISPBX_SIM_USERNAME: 'bench', ISPBX_SIM_SECRET: 'bench-sim-secret' },
    },
    {
      command: `${bin} serve`,
      cwd: root,
      url: `http://127.0.0.1:${BENCH_PORT}/`,
      reuseExistingServer: false,
      env: {
        ...common,
        ISPBX_LISTEN: `127.0.0.1:${BENCH_PORT}`,
        ISPBX_AMI_ADDR: `127.0.0.1:${SIM}`,
        ISPBX_AMI_USERNAME: 'bench',
        ISPBX_AMI_SECRET: 'bench-sim-secret',
        ISPBX_ANONYMOUS_READ: 'on',
        ISPBX_RATE_LIMIT: 'off',
        ISPBX_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'ispbx-bench-')),
      },
    },
  ],
});
