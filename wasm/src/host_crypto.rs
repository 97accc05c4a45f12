//! The host's crypto for `verifyWebCrypto`, called through `js_sys`
//! (no JavaScript file of its own, so the CommonJS Node build loads on
//! every Node the package supports): chunk digests with
//! `crypto.subtle.digest`, the seal with WebCrypto's Ed25519.

use std::collections::VecDeque;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use migseal_format::envelope::{CHUNK_PREFIX_LEN, DIGEST_LEN, Digest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::webcrypto::ChunkInput;

/// Digests in flight at once: enough to keep WebCrypto's thread busy
/// while the next input is prepared.
const IN_FLIGHT: usize = 8;

/// `globalThis.crypto.subtle`, when the engine has it (a page on plain
/// http has not).
fn subtle() -> Option<Object> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    subtle.dyn_into::<Object>().ok()
}

/// Calls `subtle[name](...args)`.
fn call(subtle: &Object, name: &str, args: &[JsValue]) -> Result<Promise, JsValue> {
    let f: Function = Reflect::get(subtle, &name.into())?.dyn_into()?;
    let promise = f.apply(subtle, &args.iter().collect::<Array>())?;
    promise.dyn_into()
}

/// Starts `SHA-256(prefix || image[offset .. offset + len])`.
///
/// The 33 bytes before a chunk's data are its CBOR heads and the end of
/// the previous chunk: the prefix is written over them, `digest()` is
/// called, and they are put back, all before this returns. `digest()`
/// copies its input before it returns (WebCrypto: "get a copy of the bytes
/// held by the data parameter"), so the caller's bytes are unchanged
/// whenever other code runs, and no chunk is copied an extra time. Memory
/// other threads can see (a `SharedArrayBuffer`), and a first chunk with
/// fewer than 33 bytes before it, get a buffer of their own instead.
fn start(subtle: &Object, image: &Uint8Array, shared: bool, c: &ChunkInput) -> Result<Promise, JsValue> {
    let sha256 = JsValue::from_str("SHA-256");
    let (offset, len) = (index(c.offset), index(c.len));
    let prefix_len = index(CHUNK_PREFIX_LEN);
    if !shared && offset >= prefix_len {
        let head = image.subarray(offset.saturating_sub(prefix_len), offset);
        let saved = head.to_vec();
        head.copy_from(&c.prefix);
        let promise = call(
            subtle,
            "digest",
            &[sha256, image.subarray(offset.saturating_sub(prefix_len), offset.saturating_add(len)).into()],
        );
        head.copy_from(&saved);
        return promise;
    }
    let input = Uint8Array::new_with_length(prefix_len.saturating_add(len));
    input.subarray(0, prefix_len).copy_from(&c.prefix);
    input.set(&image.subarray(offset, offset.saturating_add(len)), prefix_len);
    call(subtle, "digest", &[sha256, input.into()])
}

/// An offset or length as a JavaScript array index (the image is in one
/// `Uint8Array`, so every offset fits).
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every chunk's digest by `crypto.subtle.digest`, in order, several in
/// flight; `None` without `crypto.subtle`.
///
/// # Errors
///
/// What WebCrypto rejects with.
pub async fn digest_chunks(image: &Uint8Array, plan: &[ChunkInput]) -> Result<Option<Vec<Digest>>, JsValue> {
    let Some(subtle) = subtle() else { return Ok(None) };
    let shared = image.buffer().is_instance_of::<js_sys::SharedArrayBuffer>();
    let mut out = Vec::with_capacity(plan.len());
    let mut pending = VecDeque::with_capacity(IN_FLIGHT);
    for c in plan {
        if pending.len() == IN_FLIGHT {
            out.push(settle(pending.pop_front()).await?);
        }
        pending.push_back(JsFuture::from(start(&subtle, image, shared, c)?));
    }
    while let Some(next) = pending.pop_front() {
        out.push(settle(Some(next)).await?);
    }
    Ok(Some(out))
}

async fn settle(future: Option<JsFuture>) -> Result<Digest, JsValue> {
    let Some(future) = future else { return Err("no digest pending".into()) };
    let bytes = Uint8Array::new(&future.await?).to_vec();
    Digest::try_from(bytes.as_slice())
        .map_err(|_| JsValue::from_str("a SHA-256 digest is not 32 bytes"))
        .map(|d: [u8; DIGEST_LEN]| d)
}

/// WebCrypto's Ed25519 verdict on a signature: `Some(true)` or
/// `Some(false)`, or `None` where the engine has no WebCrypto Ed25519 (or
/// will not import the key), so the caller falls back to its own.
///
/// # Errors
///
/// What `verify` rejects with once the key was imported.
pub async fn ed25519_verify(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<Option<bool>, JsValue> {
    let Some(subtle) = subtle() else { return Ok(None) };
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"Ed25519".into())?;
    let usages: Array = std::iter::once(JsValue::from_str("verify")).collect();
    let import = call(
        &subtle,
        "importKey",
        &[
            "raw".into(),
            Uint8Array::from(public_key).into(),
            algorithm.clone().into(),
            false.into(),
            usages.into(),
        ],
    );
    let Ok(import) = import else { return Ok(None) };
    let Ok(key) = JsFuture::from(import).await else { return Ok(None) };
    let verify = call(
        &subtle,
        "verify",
        &[algorithm.into(), key, Uint8Array::from(signature).into(), Uint8Array::from(message).into()],
    )?;
    Ok(JsFuture::from(verify).await?.as_bool())
}
