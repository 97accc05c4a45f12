// The preflight page in real headless Chromium (Debian's package, driven
// by playwright-core): served from wasm/www on localhost, it is given the
// mtty-2 destination descriptor (CBOR) and the default policy, then a
// valid image and a cross-vendor one, and what it shows is asserted.
// Screenshots go to $MIGSEAL_ARTIFACTS (default target/wasm-e2e).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { cli, root, vectorsDir } from './common.mjs';

const www = path.join(root, 'wasm/www');
const artifacts = process.env.MIGSEAL_ARTIFACTS ?? path.join(root, 'target/wasm-e2e');
const executablePath = process.env.MIGSEAL_CHROMIUM ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let server;
let context;
let userDataDir;
let base;

/** Serves wasm/www read-only; nothing outside it. */
function serve() {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
      const file = path.resolve(www, rel);
      if (!file.startsWith(www + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

before(async () => {
  assert.ok(existsSync(path.join(www, 'pkg/migseal_wasm_bg.wasm')), 'wasm/www/pkg is built (cargo xtask wasm)');
  assert.ok(existsSync(executablePath), `${executablePath} exists (apt-get install chromium)`);
  mkdirSync(artifacts, { recursive: true });
  server = await serve();
  base = `http://127.0.0.1:${server.address().port}/`;
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'migseal-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1200, height: 1000 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
});

after(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** A fresh page with the descriptor and policy loaded; collects page errors. */
async function preflight() {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]');
  await page.setInputFiles('#device-file', path.join(vectorsDir, 'devices/mtty-2.cbor'));
  await page.waitForFunction(() => document.getElementById('device-text').value.includes('"mtty-2"'));
  await page.setInputFiles('#policy-file', path.join(vectorsDir, 'policies/default.json'));
  await page.waitForFunction(() => document.getElementById('policy-text').value.includes('"trusted"'));
  return { page, errors };
}

const headerCell = (page, label) =>
  page.locator('#header tr', { has: page.locator('th', { hasText: new RegExp(`^${label}$`) }) }).locator('td').innerText();

test('a valid image is VERIFIED, with its header and full progress', async () => {
  const { page, errors } = await preflight();
  const file = path.join(vectorsDir, 'images/mtty-2-six-chunks.migseal');
  await page.setInputFiles('#image-file', file);
  await page.waitForSelector('#verdict[data-state="verified"]', { timeout: 15000 });
  const verdict = await page.locator('#verdict').innerText();
  assert.match(verdict, /^VERIFIED mtty-2-six-chunks\.migseal/);
  // The page shows the native CLI's verdict for the same files.
  const native = cli(['verify', 'spec/vectors/images/mtty-2-six-chunks.migseal',
    '--policy', 'spec/vectors/policies/default.json', '--device', 'spec/vectors/devices/mtty-2.cbor']).json;
  assert.ok(verdict.includes(
    `${native.chunk_count} chunks, ${native.payload_len} payload bytes; image digest ${native.image_digest} (spec 5.4`,
  ), verdict);
  assert.equal(await page.locator('#header-tag').innerText(), 'VERIFIED');
  assert.equal(await headerCell(page, 'vendor'), 'linux');
  assert.equal(await headerCell(page, 'device type'), 'mtty-2');
  assert.equal(await headerCell(page, 'codec'), 'mtty');
  assert.match(await page.locator('#compat').innerText(), /^compatible: state version 1\.0 is accepted/);
  const size = statSync(file).size;
  assert.deepEqual(
    await page.locator('#progress').evaluate((p) => [p.value, p.max]),
    [size, size],
  );
  assert.match(await page.locator('#progress-text').innerText(), /verified/);
  await page.screenshot({ path: path.join(artifacts, 'preflight-verified.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a cross-vendor image is REFUSED with code 500 and every reason', async () => {
  const { page, errors } = await preflight();
  await page.setInputFiles('#image-file', path.join(vectorsDir, 'images/cross-vendor.migseal'));
  await page.waitForSelector('#verdict[data-state="refused"]', { timeout: 15000 });
  const verdict = await page.locator('#verdict').innerText();
  assert.match(verdict, /^REFUSED cross-vendor\.migseal: error 500 \(vendor-mismatch\) in the image, at byte 0/);
  assert.match(verdict, /cross-vendor migration is impossible/);
  // The header is what the image claims, and says so.
  assert.equal(await page.locator('#header-tag').innerText(), 'UNVERIFIED');
  assert.equal(await headerCell(page, 'vendor'), 'nvidia');
  const reasons = await page.locator('#compat li').allInnerTexts();
  assert.ok(reasons.length >= 2, reasons.join('\n'));
  assert.match(reasons[0], /^500 vendor-mismatch: state is for vendor nvidia, this device is vendor linux/);
  await page.screenshot({ path: path.join(artifacts, 'preflight-refused.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a tampered image streams to the end and is REFUSED at the seal', async () => {
  const { page, errors } = await preflight();
  await page.setInputFiles('#image-file', path.join(vectorsDir, 'images/header-changed-after-sealing.migseal'));
  await page.waitForSelector('#verdict[data-state="refused"]', { timeout: 15000 });
  assert.match(await page.locator('#verdict').innerText(), /error 600 \(bad-signature\)/);
  // Compatible on paper: only the signature tells.
  assert.match(await page.locator('#compat').innerText(), /^compatible/);
  // Every byte was read, none verified: the progress line says so (issue #15).
  const line = await page.locator('#progress-text').innerText();
  assert.match(line, /^refused at byte \d+: .* read, nothing verified/);
  assert.doesNotMatch(line, /of [\d.]+ (bytes|KiB|MiB) verified/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a policy syntax error names its line and column', async () => {
  const { page, errors } = await preflight();
  await page.fill('#policy-text', '{\n  "trusted": [\n    {"public_key": "00" "vendor": "linux"}\n  ]\n}');
  await page.setInputFiles('#image-file', path.join(vectorsDir, 'images/mtty-2-single-chunk.migseal'));
  await page.waitForSelector('#verdict[data-state="invalid"]', { timeout: 15000 });
  const verdict = await page.locator('#verdict').innerText();
  assert.match(verdict, /^The policy is not valid JSON\./);
  assert.match(verdict, /policy: JSON syntax error at line 3, column \d+/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an invalid policy is named as the problem, not the image', async () => {
  const { page, errors } = await preflight();
  await page.fill('#policy-text', '{"trusted": [{"public_key": "00", "vendor": "linux"}]}');
  await page.setInputFiles('#image-file', path.join(vectorsDir, 'images/mtty-2-single-chunk.migseal'));
  await page.waitForSelector('#verdict[data-state="invalid"]', { timeout: 15000 });
  const verdict = await page.locator('#verdict').innerText();
  assert.match(verdict, /^The policy is not valid\./);
  assert.match(verdict, /trusted\[0\]\.public_key: expected 32 bytes/);
  assert.deepEqual(errors, []);
  await page.close();
});
