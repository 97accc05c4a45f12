// The installed npm package in headless Chromium (Debian's, driven by
// playwright-core from wasm/node_modules). Serves CONSUMER_DIR (a fresh
// directory with the tarball installed in node_modules/) and the spec
// vectors; the page imports 'migseal' through an import map to the file
// the package's exports map gives under the `browser` condition (as a
// bundler resolves it), calls init() — which fetches the .wasm from beside
// that module — verifies a spec vector and refuses the cross-vendor one.
// Usage: node browser.mjs CONSUMER_DIR SPEC_VECTORS_DIR
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [consumer, vectors] = process.argv.slice(2).map((p) => path.resolve(p));
const executablePath = process.env.MIGSEAL_CHROMIUM ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm' };

// What the exports map gives a browser build, resolved by Node itself.
const r = spawnSync(process.execPath, ['--conditions=browser', '--input-type=module', '-e',
  "console.log(import.meta.resolve('migseal'))"], { cwd: consumer, encoding: 'utf8' });
assert.equal(r.status, 0, r.stderr);
const entry = path.relative(consumer, new URL(r.stdout.trim()).pathname);
assert.equal(entry, 'node_modules/migseal/web/migseal_wasm.js');

writeFileSync(path.join(consumer, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">{"imports": {"migseal": "/${entry}"}}</script>
<script type="module">
import init, { verify } from 'migseal';
const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
try {
  await init();
  const policy = await (await fetch('/vectors/policies/default.json')).text();
  const device = await get('/vectors/devices/mtty-2.cbor');
  const ok = verify(await get('/vectors/images/mtty-2-single-chunk.migseal'), policy, device);
  let refused = null;
  try { verify(await get('/vectors/images/cross-vendor.migseal'), policy, device); }
  catch (e) { refused = { name: e.name, code: e.code, codeName: e.codeName }; }
  document.body.dataset.result = JSON.stringify({ verdict: ok.verdict, chunks: ok.chunk_count, digest: ok.image_digest, refused });
} catch (e) {
  document.body.dataset.result = JSON.stringify({ error: String(e) });
}
</script>
`);

const served = [];
const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  const [base, rel] = url.startsWith('/vectors/') ? [vectors, url.slice(9)] : [consumer, url.slice(1)];
  const file = path.resolve(base, rel);
  if (!file.startsWith(base + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    console.log(`chromium asked for ${url}: 404`);
    res.writeHead(404).end('not found');
    return;
  }
  served.push(url);
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'migseal-npm-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 20000 });
  const result = JSON.parse(await page.locator('body').getAttribute('data-result'));
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.verdict, 'verified');
  assert.deepEqual(result.refused, { name: 'MigsealError', code: 500, codeName: 'vendor-mismatch' });
  assert.ok(served.includes('/node_modules/migseal/web/migseal_wasm_bg.wasm'), served.join(' '));
  assert.deepEqual(errors, []);
  console.log(`chromium: ${entry} (browser condition) loaded migseal_wasm_bg.wasm beside it; VERIFIED mtty-2-single-chunk.migseal (sha256:${result.digest}); REFUSED cross-vendor.migseal: ${result.refused.code} ${result.refused.codeName}`);
} finally {
  await context?.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
