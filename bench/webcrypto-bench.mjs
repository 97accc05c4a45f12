// Verifies a sealed image in headless Chromium through the migseal web
// package's verifyWebCrypto (chunk digests and seal by WebCrypto) and, for
// context, its in-WASM verify(); prints how fast, as one JSON line (the
// report parses it) after a human-readable line.
//
//   node bench/webcrypto-bench.mjs --www DIR --image FILE --policy FILE --device FILE
//        --chromium PATH --playwright DIR [--runs N]
//
// DIR is wasm/www (the page's copy of the web package is DIR/pkg); the
// image, policy and device are served beside it from localhost (a secure
// context, so crypto.subtle exists), fetched by the page, and timed there
// with performance.now(), best of N runs after one warm-up. Any refusal
// exits non-zero.

import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

function args(argv) {
  const out = { runs: '3' };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (!key.startsWith('--') || value === undefined) throw new Error(`usage: see the header of webcrypto-bench.mjs (at ${key})`);
    out[key.slice(2)] = value;
  }
  for (const k of ['www', 'image', 'policy', 'device', 'chromium', 'playwright']) {
    if (!out[k]) throw new Error(`missing --${k}`);
  }
  return out;
}

function serve(www, files) {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname === '/blank') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
        return;
      }
      const named = files[url.pathname];
      const file = named ?? path.resolve(www, decodeURIComponent(url.pathname).replace(/^\/+/, ''));
      if ((!named && !file.startsWith(www + path.sep)) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function main() {
  const a = args(process.argv.slice(2));
  const { chromium } = createRequire(import.meta.url)(path.resolve(a.playwright));
  const www = path.resolve(a.www);
  const server = await serve(www, { '/image': a.image, '/policy': a.policy, '/device': a.device });
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'migseal-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: a.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
    const runs = Math.max(1, Number.parseInt(a.runs, 10) || 1);
    const r = await page.evaluate(async (runs) => {
      const m = await import('/pkg/migseal_wasm.js');
      await m.default();
      const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
      const [image, device] = [await get('/image'), await get('/device')];
      const policy = await (await fetch('/policy')).text();
      const best = async (f) => {
        let min = Infinity;
        let result;
        await f(); // warm-up
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          result = await f();
          min = Math.min(min, performance.now() - t0);
        }
        return { seconds: min / 1000, result };
      };
      const web = await best(() => m.verifyWebCrypto(image, policy, device));
      const wasm = await best(async () => m.verify(image, policy, device));
      // WebCrypto alone: the same bytes in 1 MiB digest() calls, all in
      // flight, no verification (what the chunk digests cost at best).
      const MIB = 1 << 20;
      const digest = await best(() => Promise.all(Array.from({ length: Math.ceil(image.length / MIB) },
        (_, i) => crypto.subtle.digest('SHA-256', image.subarray(i * MIB, (i + 1) * MIB)))));
      return {
        browser: navigator.userAgent,
        cores: navigator.hardwareConcurrency,
        verdicts: [web.result.verdict, wasm.result.verdict],
        bytes: image.length,
        webcrypto_seconds: web.seconds,
        wasm_seconds: wasm.seconds,
        digest_seconds: digest.seconds,
      };
    }, runs);
    const browser = (await context.browser()?.version()) ?? r.browser;
    if (r.verdicts.some((v) => v !== 'verified')) throw new Error(`not verified: ${JSON.stringify(r.verdicts)}`);
    const mbps = (s) => (r.bytes / s / 1e6).toFixed(0);
    console.log(`webcrypto: ${r.bytes} bytes, verifyWebCrypto ${mbps(r.webcrypto_seconds)} MB/s, ` +
      `in-WASM verify ${mbps(r.wasm_seconds)} MB/s (Chromium ${browser}, ${r.cores} cores)`);
    console.log(JSON.stringify({
      browser: `Chromium ${browser}`,
      verdict: 'verified',
      bytes: r.bytes,
      webcrypto_seconds: r.webcrypto_seconds,
      wasm_seconds: r.wasm_seconds,
      digest_seconds: r.digest_seconds,
    }));
  } finally {
    await context.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`webcrypto-bench: ${e?.stack ?? e}`);
  process.exit(1);
});
