// Verifies a sealed image in Node through the migseal WASM package and
// prints how fast, as one JSON line (the report parses it) after a
// human-readable line.
//
//   node bench/wasm-bench.mjs --pkg DIR --image FILE --policy FILE --device FILE [--runs N]
//
// DIR is the Node (CommonJS) package `cargo xtask wasm` builds. Two ways
// are timed, best of N runs each: verify(bytes, policy, device) on the
// whole image in memory, and StreamVerifier fed 64 KiB pieces (as bytes
// arrive from a file or the network). Any refusal exits non-zero.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";

const FRAGMENT = 64 * 1024;

function args(argv) {
  const out = { runs: "3" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith("--") || value === undefined) {
      throw new Error(`usage: wasm-bench.mjs --pkg DIR --image FILE --policy FILE --device FILE [--runs N] (at ${key})`);
    }
    out[key.slice(2)] = value;
  }
  for (const required of ["pkg", "image", "policy", "device"]) {
    if (!out[required]) throw new Error(`missing --${required}`);
  }
  return out;
}

function best(runs, f) {
  let min = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = f();
    min = Math.min(min, performance.now() - t0);
  }
  return { seconds: min / 1000, result };
}

function main() {
  const a = args(process.argv.slice(2));
  const require = createRequire(import.meta.url);
  const migseal = require(resolve(a.pkg));
  const image = new Uint8Array(readFileSync(a.image));
  const policy = readFileSync(a.policy, "utf8");
  const device = new Uint8Array(readFileSync(a.device));
  const runs = Math.max(1, Number.parseInt(a.runs, 10) || 1);

  // Warm-up: compile the module's hot paths once.
  migseal.verify(image, policy, device);

  const whole = best(runs, () => migseal.verify(image, policy, device));
  const stream = best(runs, () => {
    const v = new migseal.StreamVerifier(policy, device);
    for (let at = 0; at < image.length; at += FRAGMENT) {
      v.push(image.subarray(at, Math.min(at + FRAGMENT, image.length)));
    }
    const verdict = v.finish();
    if (typeof v.free === "function") v.free();
    return verdict;
  });
  for (const r of [whole.result, stream.result]) {
    if (!r || r.verdict !== "verified") throw new Error(`not verified: ${JSON.stringify(r)}`);
  }
  const mbps = (s) => image.length / s / 1e6;
  console.log(
    `wasm: ${image.length} bytes, verify ${mbps(whole.seconds).toFixed(0)} MB/s, ` +
      `StreamVerifier ${mbps(stream.seconds).toFixed(0)} MB/s (node ${process.version})`,
  );
  console.log(
    JSON.stringify({
      node: process.version,
      verdict: "verified",
      bytes: image.length,
      verify_seconds: whole.seconds,
      stream_seconds: stream.seconds,
      verify_mbps: mbps(whole.seconds),
      stream_mbps: mbps(stream.seconds),
    }),
  );
}

try {
  main();
} catch (e) {
  console.error(`wasm-bench: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
