// The host's crypto for migseal-wasm's verifyWebCrypto (wasm/src/webcrypto_bindings.rs):
// chunk digests with crypto.subtle.digest, the seal with WebCrypto's Ed25519.
// Arguments that are views on WebAssembly memory are copied before the
// first await: memory may grow (and detach them) while a promise waits.

const subtle = () => globalThis.crypto?.subtle;

/**
 * SHA-256(prefix_i || image[offset_i .. offset_i + len_i]) for every chunk,
 * many in flight at once (the engine hashes them off the main thread).
 * Resolves to the 32-byte digests, concatenated, or null without WebCrypto.
 */
export async function digestChunks(image, offsets, lens, prefixes) {
  const s = subtle();
  if (!s) return null;
  const at = Float64Array.from(offsets);
  const len = Float64Array.from(lens);
  const pre = prefixes.slice();
  const n = at.length;
  const out = new Uint8Array(32 * n);
  const lanes = Math.min(n, Math.max(4, 2 * (globalThis.navigator?.hardwareConcurrency ?? 2)));
  // The 33 bytes before a chunk's data are its CBOR heads and the end of
  // the previous chunk: the prefix is written over them, digest() is
  // called, and they are put back, all synchronously. digest() copies its
  // input before it returns (WebCrypto: "get a copy of the bytes held by
  // the data parameter"), so the image is unchanged whenever other code
  // runs, and no chunk is copied twice. Not for memory other threads can
  // see (a SharedArrayBuffer): there each chunk goes into a buffer of its own.
  const inPlace = !(typeof SharedArrayBuffer !== 'undefined' && image.buffer instanceof SharedArrayBuffer);
  const saved = new Uint8Array(33);
  const start = (i) => {
    const p = pre.subarray(33 * i, 33 * i + 33);
    if (inPlace && at[i] >= 33) {
      const head = image.subarray(at[i] - 33, at[i]);
      saved.set(head);
      head.set(p);
      try {
        return s.digest('SHA-256', image.subarray(at[i] - 33, at[i] + len[i]));
      } finally {
        head.set(saved);
      }
    }
    const input = new Uint8Array(33 + len[i]);
    input.set(p);
    input.set(image.subarray(at[i], at[i] + len[i]), 33);
    return s.digest('SHA-256', input);
  };
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out.set(new Uint8Array(await start(i)), 32 * i);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}

/**
 * WebCrypto's Ed25519 verdict on a signature: true or false, or null when
 * this engine has no WebCrypto Ed25519 (or will not import the key), so
 * the caller falls back to its own.
 */
export async function ed25519Verify(publicKey, message, signature) {
  const s = subtle();
  if (!s) return null;
  const [key, msg, sig] = [publicKey.slice(), message.slice(), signature.slice()];
  let imported;
  try {
    imported = await s.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
  return await s.verify({ name: 'Ed25519' }, imported, sig, msg);
}
