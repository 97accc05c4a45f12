// StreamVerifier on an image far larger than its memory: a 96 MiB image
// sealed by the native CLI streams through the Node package in 1 MiB
// pieces (as File.stream() delivers them) while the module's WebAssembly
// memory stays where it was after the first piece; one flipped payload
// byte is refused at finish() with the signature code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, migseal, outcome } from './common.mjs';

const { StreamVerifier, memoryBytes } = migseal;
const MiB = 1 << 20;
const SIZE = 96 * MiB;

const device = {
  role: 'destination', vendor: 'linux', device_api: 'vfio-pci', device_type: 'mtty-2',
  versions: ['1.0'], codecs: ['mtty'],
};

/** Seals SIZE bytes of varied payload with a fresh key; returns paths and policy. */
function sealLargeImage(dir) {
  const payload = path.join(dir, 'state.bin');
  const fd = openSync(payload, 'w');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < SIZE / MiB; i++) {
    block.fill(i & 0xff);
    block.writeUInt32LE(i, 0);
    writeSync(fd, block);
  }
  closeSync(fd);
  const key = path.join(dir, 'key');
  assert.equal(cli(['keygen', '--out', key]).status, 0);
  const image = path.join(dir, 'state.migseal');
  const sealed = cli(['seal', payload, '--key', key, '--vendor', 'linux', '--device-api', 'vfio-pci',
    '--device-type', 'mtty-2', '--state-version', '1.0', '--codec', 'mtty', '--out', image]);
  assert.equal(sealed.status, 0, JSON.stringify(sealed.json));
  // A typed key file: `migseal public key (ed25519)`, then the hex line.
  const publicKey = readFileSync(`${key}.pub`, 'utf8').trim().split('\n').pop().trim();
  return { image, policy: { trusted: [{ public_key: publicKey, vendor: 'linux' }] } };
}

/** Streams the file through a StreamVerifier, flipping the byte at `flipAt` if given. */
async function stream(file, policy, flipAt = -1) {
  const v = new StreamVerifier(policy, device);
  let pushed = 0;
  let memoryAfterFirst = 0;
  let memoryPeak = 0;
  try {
    for await (const piece of createReadStream(file, { highWaterMark: MiB })) {
      if (flipAt >= pushed && flipAt < pushed + piece.length) piece[flipAt - pushed] ^= 0x01;
      v.push(piece);
      pushed += piece.length;
      assert.equal(v.bytesVerified, pushed);
      if (memoryAfterFirst === 0) memoryAfterFirst = memoryBytes();
      memoryPeak = Math.max(memoryPeak, memoryBytes());
    }
    return { ...outcome(() => v.finish()), pushed, memoryAfterFirst, memoryPeak };
  } finally {
    v.free();
  }
}

test('a 96 MiB image streams through in constant memory and verifies', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migseal-wasm-'));
  try {
    const { image, policy } = sealLargeImage(dir);
    const good = await stream(image, policy);
    assert.ok(good.ok, good.error?.message);
    assert.equal(good.ok.payload_len, SIZE);
    assert.equal(good.ok.image_len, good.pushed);
    assert.equal(good.ok.chunk_count, SIZE / MiB);
    // The memory the module had after the first piece is all it ever had,
    // and that is a few MiB: nothing of the image accumulates.
    assert.equal(good.memoryPeak, good.memoryAfterFirst);
    assert.ok(good.memoryPeak <= 8 * MiB, `${good.memoryPeak} bytes of wasm memory`);
    console.log(`96 MiB streamed; wasm memory ${(good.memoryPeak / MiB).toFixed(2)} MiB throughout`);

    const flipped = await stream(image, policy, Math.floor(good.pushed / 2));
    assert.equal(flipped.error?.code, 600, flipped.error?.message ?? 'verified a modified image');
    assert.equal(flipped.error.codeName, 'bad-signature');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
