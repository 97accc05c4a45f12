// Node, CommonJS: `require('migseal')` from the installed tarball.
// Usage: node consumer.cjs SPEC_VECTORS_DIR
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const migseal = require('migseal');

const vectors = process.argv[2];
const bytes = (rel) => new Uint8Array(readFileSync(path.join(vectors, rel)));
const resolved = require.resolve('migseal');
assert.match(resolved, /\/node_modules\/migseal\/node\/migseal_wasm\.js$/, resolved);
const policy = readFileSync(path.join(vectors, 'policies/default.json'), 'utf8');
const ok = migseal.verify(bytes('images/mtty-2-single-chunk.migseal'), policy, bytes('devices/mtty-2.cbor'));
assert.equal(ok.verdict, 'verified');
console.log(`node CommonJS (${path.relative(process.cwd(), resolved)}): VERIFIED mtty-2-single-chunk.migseal, ${ok.chunk_count} chunk`);
