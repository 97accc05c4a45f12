// Node, ES module: `import ... from 'migseal'` from the installed tarball
// (node_modules/migseal). A spec vector verifies, the cross-vendor one is
// refused with its stable code, and the same through the streaming API.
// Usage: node consumer.mjs SPEC_VECTORS_DIR
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import init, { StreamVerifier, checkCompat, inspect, verify } from 'migseal';

const vectors = process.argv[2];
const bytes = (rel) => new Uint8Array(readFileSync(path.join(vectors, rel)));
const resolved = import.meta.resolve('migseal');
assert.match(resolved, /\/node_modules\/migseal\/node\/index\.mjs$/, resolved);

await init(); // nothing to do in Node; shared code calls it
const policy = readFileSync(path.join(vectors, 'policies/default.json'), 'utf8');
const device = bytes('devices/mtty-2.cbor');

const ok = verify(bytes('images/mtty-2-six-chunks.migseal'), policy, device);
assert.equal(ok.verdict, 'verified');
console.log(`node ESM (${path.relative(process.cwd(), new URL(resolved).pathname)}): VERIFIED mtty-2-six-chunks.migseal, ${ok.chunk_count} chunks, sha256:${ok.image_digest}`);

const image = bytes('images/cross-vendor.migseal');
assert.throws(() => verify(image, policy, device), (e) => {
  assert.equal(e.name, 'MigsealError');
  assert.equal(e.code, 500);
  console.log(`node ESM: REFUSED cross-vendor.migseal: ${e.code} ${e.codeName}`);
  return true;
});
const claim = inspect(image);
assert.equal(checkCompat(claim.source_descriptor, device).compatible, false);

const v = new StreamVerifier(policy, device);
const six = bytes('images/mtty-2-six-chunks.migseal');
for (let i = 0; i < six.length; i += 1000) v.push(six.subarray(i, i + 1000));
assert.equal(v.finish().image_digest, ok.image_digest);
v.free();
console.log('node ESM: StreamVerifier gives the same digest in 1000-byte pieces');
