// Shared by the Node tests: paths, the built Node package, the spec
// vectors' index, and the native CLI whose verdicts the package must equal.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const vectorsDir = path.join(root, 'spec/vectors');

const nodePkg = path.join(root, 'wasm/pkg/node/migseal_wasm.js');
if (!existsSync(nodePkg)) {
  throw new Error(`${nodePkg} is missing: build the packages first with \`cargo xtask wasm\``);
}
/** The built Node package (CommonJS). */
export const migseal = createRequire(import.meta.url)(nodePkg);

/** spec/vectors/index.json's vectors. */
export const vectors = JSON.parse(readFileSync(path.join(vectorsDir, 'index.json'), 'utf8')).vectors;

/** A vector file's bytes. */
export const bytes = (rel) => new Uint8Array(readFileSync(path.join(vectorsDir, rel)));
/** A vector file's text. */
export const text = (rel) => readFileSync(path.join(vectorsDir, rel), 'utf8');

/** The native `migseal` binary (built by `cargo build -p migseal-cli`). */
export const cliPath = process.env.MIGSEAL_CLI ?? path.join(root, 'target/debug/migseal');

/** Runs the native CLI with `--json` and returns its exit code and JSON output. */
export function cli(args, input) {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: run \`cargo build -p migseal-cli\` or set MIGSEAL_CLI`);
  }
  const r = spawnSync(cliPath, ['--json', ...args], { cwd: root, input, maxBuffer: 1 << 20 });
  if (r.error) throw r.error;
  // When stdout would carry data (a descriptor, an image, a payload), the
  // CLI's JSON report is on stderr.
  const out = r.stdout.length > 0 ? r.stdout : r.stderr;
  return { status: r.status, json: JSON.parse(out.toString('utf8')) };
}

/** Runs `f`; returns `{ ok: value }` or `{ error }` for a thrown MigsealError. */
export function outcome(f) {
  try {
    return { ok: f() };
  } catch (error) {
    if (error?.name !== 'MigsealError') throw error;
    return { error };
  }
}
