// Every spec vector through the built Node package gives the verdict
// spec/vectors/index.json expects, and the very verdict the native CLI
// (`migseal --json`) gives for the same files: the same header, digest
// and sizes when verified; the same code, name, errno, offset and message
// when refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, cli, migseal, outcome, text, vectors } from './common.mjs';

const { StreamVerifier, descriptorToJson, validateCbor, verify } = migseal;

/** Asserts an outcome is what the index says. */
function assertExpected(v, got) {
  if (v.expect.result === 'ok') {
    assert.ok(got.ok, `${v.name}: expected success, got ${got.error?.message}`);
  } else {
    assert.ok(got.error, `${v.name}: expected error ${v.expect.code}, got success`);
    assert.equal(got.error.code, v.expect.code, `${v.name}: ${got.error.message}`);
    assert.equal(got.error.codeName, v.expect.name, v.name);
  }
}

/** The whole image in pieces of `size` bytes through a StreamVerifier. */
function streamed(image, policy, device, size) {
  return outcome(() => {
    const s = new StreamVerifier(policy, device);
    try {
      for (let at = 0; at < image.length; at += size) s.push(image.subarray(at, at + size));
      return s.finish();
    } finally {
      s.free();
    }
  });
}

const kinds = new Set(vectors.map((v) => v.kind));

test('the index lists every kind of vector this test knows', () => {
  assert.deepEqual([...kinds].sort(), ['cbor', 'descriptor', 'image', 'policy']);
  assert.ok(vectors.length > 60, `${vectors.length} vectors`);
});

test('image vectors: verify and StreamVerifier equal the native CLI', async (t) => {
  const images = vectors.filter((v) => v.kind === 'image');
  assert.ok(images.length >= 48);
  for (const v of images) {
    await t.test(v.name, () => {
      const image = bytes(v.file);
      const policy = text(v.policy);
      const device = bytes(v.device);
      const whole = outcome(() => verify(image, policy, device));
      assertExpected(v, whole);
      for (const size of [1, 7, 4096]) {
        assert.deepEqual(streamed(image, policy, device, size), whole, `${v.name}: pieces of ${size}`);
      }

      const at = (rel) => `spec/vectors/${rel}`;
      const native = cli(['verify', at(v.file), '--policy', at(v.policy), '--device', at(v.device)]);
      if (whole.ok) {
        assert.equal(native.status, 0, v.name);
        assert.equal(native.json.verdict, 'verified');
        for (const key of ['header', 'chunk_count', 'payload_len', 'image_len', 'image_digest']) {
          assert.deepEqual(whole.ok[key], native.json[key], `${v.name}: ${key}`);
        }
      } else {
        assert.equal(native.json.verdict, 'refused', v.name);
        for (const [js, rust] of [['code', 'code'], ['codeName', 'name'], ['errno', 'errno'], ['offset', 'offset'], ['message', 'message']]) {
          assert.equal(whole.error[js], native.json[rust], `${v.name}: ${js}`);
        }
        assert.equal(whole.error.input, 'image');
      }
    });
  }
});

test('descriptor vectors: decoded or refused as the CLI does', async (t) => {
  for (const v of vectors.filter((x) => x.kind === 'descriptor')) {
    await t.test(v.name, () => {
      const got = outcome(() => descriptorToJson(bytes(v.file)));
      assertExpected(v, got);
      const native = cli(['descriptor', '--from-cbor', `spec/vectors/${v.file}`]);
      if (got.ok) {
        assert.equal(native.status, 0, v.name);
        // The CLI prints the JSON form of a good descriptor.
        assert.deepEqual(got.ok, native.json, v.name);
      } else {
        assert.equal(got.error.code, native.json.code, v.name);
        assert.equal(got.error.offset, native.json.offset, v.name);
        // Same message, after the name of the argument (file path vs "device").
        const tail = (m) => m.slice(m.indexOf(': ') + 2);
        assert.equal(tail(got.error.message), tail(native.json.message), v.name);
      }
    });
  }
});

test('cbor vectors: the canonical reader accepts and refuses as indexed', async (t) => {
  for (const v of vectors.filter((x) => x.kind === 'cbor')) {
    await t.test(v.name, () => {
      const got = outcome(() => validateCbor(bytes(v.file)));
      assertExpected(v, got);
      if (got.error) assert.equal(got.error.input, 'bytes');
    });
  }
});

test('policy vectors: refused before any image byte, as the CLI does', async (t) => {
  const image = 'images/mtty-2-single-chunk.migseal';
  const device = 'devices/mtty-2.cbor';
  for (const v of vectors.filter((x) => x.kind === 'policy')) {
    await t.test(v.name, () => {
      const got = outcome(() => verify(bytes(image), text(v.file), bytes(device)));
      assertExpected(v, got);
      assert.equal(got.error.input, 'policy');
      assert.match(got.error.message, /^policy: (trusted\[\d+\]|session): /);
      const stream = outcome(() => new StreamVerifier(text(v.file), bytes(device)));
      assert.equal(stream.error?.code, v.expect.code);
      const native = cli(['verify', `spec/vectors/${image}`, '--policy', `spec/vectors/${v.file}`, '--device', `spec/vectors/${device}`]);
      assert.equal(native.json.code, got.error.code);
      assert.equal(native.json.name, got.error.codeName);
    });
  }
});
