//! The JavaScript edge of [`crate::webcrypto`]: `verifyWebCrypto`, whose
//! chunk digests and seal check are WebCrypto's ([`crate::host_crypto`]), and
//! the single-signature hook the Ed25519 suites run through.

use js_sys::Uint8Array;
use migseal_format::envelope::{Digest, SIGNATURE_LEN};
use migseal_verifier::PublicKey;
use wasm_bindgen::prelude::*;

use crate::error::{Failure, Input};
use crate::from_js::policy_arg;
use crate::host_crypto::{digest_chunks, ed25519_verify};
use crate::to_js::{thrown, to_js};
use crate::webcrypto::{ChunkInput, Job, SealRequest, Source, suite_verdict};

/// The caller's bytes, read where they are: the walks copy record heads
/// into WebAssembly a window at a time, never a payload.
struct JsBytes(Uint8Array);

impl Source for JsBytes {
    fn size(&self) -> u64 {
        u64::from(self.0.length())
    }

    fn read(&self, at: u64, max: usize) -> Vec<u8> {
        let from = u32::try_from(at).unwrap_or(u32::MAX).min(self.0.length());
        let to = from.saturating_add(u32::try_from(max).unwrap_or(u32::MAX)).min(self.0.length());
        self.0.subarray(from, to).to_vec()
    }
}

fn failed(what: &str, e: &JsValue) -> JsValue {
    let detail =
        e.as_string().or_else(|| js_sys::Error::from(e.clone()).message().as_string()).unwrap_or_default();
    thrown(&Failure::invalid(Input::Call, format!("{what}: {detail}")))
}

/// The host's digests for `plan`, or the in-WASM ones without WebCrypto
/// (full build).
async fn digests(image: &JsBytes, plan: &[ChunkInput]) -> Result<Vec<Digest>, JsValue> {
    match digest_chunks(&image.0, plan).await.map_err(|e| failed("crypto.subtle.digest failed", &e))? {
        Some(digests) => Ok(digests),
        None => fallback_digests(image, plan),
    }
}

#[cfg(feature = "wasm-crypto")]
fn fallback_digests(image: &JsBytes, plan: &[ChunkInput]) -> Result<Vec<Digest>, JsValue> {
    Ok(Job::digests_in_wasm(image, plan))
}

#[cfg(not(feature = "wasm-crypto"))]
fn fallback_digests(_: &JsBytes, _: &[ChunkInput]) -> Result<Vec<Digest>, JsValue> {
    Err(thrown(&Failure::invalid(
        Input::Call,
        "this engine has no crypto.subtle (a page served over plain http?) and this slim build has no SHA-256 of its own: serve the page over https or localhost, or use the full package",
    )))
}

/// WebCrypto's Ed25519 answer, or the in-WASM one where WebCrypto has no
/// Ed25519 (full build).
async fn host_accepts(
    public_key: &PublicKey,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<bool, JsValue> {
    let answer = ed25519_verify(public_key, message, signature)
        .await
        .map_err(|e| failed("crypto.subtle.verify failed", &e))?;
    match answer {
        Some(accepts) => Ok(accepts),
        None => fallback_accepts(public_key, message, signature),
    }
}

#[cfg(feature = "wasm-crypto")]
#[allow(clippy::unnecessary_wraps)]
fn fallback_accepts(
    public_key: &PublicKey,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<bool, JsValue> {
    Ok(migseal_verifier::verify_with_public_key(&migseal_verifier::Dalek, public_key, message, signature)
        .is_ok())
}

#[cfg(not(feature = "wasm-crypto"))]
fn fallback_accepts(_: &PublicKey, _: &[u8], _: &[u8; SIGNATURE_LEN]) -> Result<bool, JsValue> {
    Err(thrown(&Failure::invalid(
        Input::Call,
        "this engine's WebCrypto has no Ed25519 and this slim build has none of its own: use the full package",
    )))
}

/// Verifies a whole image in memory like `verify`, with the browser's
/// native crypto: every chunk is hashed by `crypto.subtle.digest`, many at
/// once, and the seal is checked by WebCrypto's Ed25519 plus the byte-level
/// checks that make it spec §5.7's. Resolves to the same verdict, or
/// rejects with the same `MigsealError`, as `verify` for the same bytes.
///
/// Where WebCrypto has no Ed25519 (or no `crypto.subtle` at all), the full
/// package uses its own; the slim one rejects with a `MigsealError` whose
/// `input` is `"call"`.
///
/// # Errors
///
/// Rejects with a `MigsealError`, as `verify` throws.
#[wasm_bindgen(js_name = verifyWebCrypto, unchecked_return_type = "Verdict")]
pub async fn verify_web_crypto(
    bytes: Uint8Array,
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] device: JsValue,
) -> Result<JsValue, JsValue> {
    let policy = policy_arg(&policy).map_err(|f| thrown(&f))?;
    let device = crate::bindings::descriptor(Input::Device, &device)?;
    let job = Job::new(&policy, device).map_err(|f| thrown(&f))?;
    let image = JsBytes(bytes);
    let plan = job.plan(&image).map_err(|f| thrown(&f))?;
    let digests = digests(&image, &plan).await?;
    let request: SealRequest = job.seal_request(&image, &digests).map_err(|f| thrown(&f))?;
    let accepts = host_accepts(&request.public_key, &request.message, &request.signature).await?;
    job.finish(&image, &digests, &request, accepts).map(|v| to_js(&v)).map_err(|f| thrown(&f))
}

/// Spec §5.7's verdict on one Ed25519 signature through the WebCrypto
/// path (WebCrypto's Ed25519 and the byte-level checks): 0 accepted, 601
/// S ≥ L, 602 the key is not a point, 409 the key has small order, 600
/// refused. For conformance suites (Wycheproof, "Taming the many EdDSAs").
///
/// # Errors
///
/// Rejects when a key is not 32 bytes or a signature not 64.
#[wasm_bindgen(js_name = ed25519VerdictWebCrypto)]
pub async fn ed25519_verdict_web_crypto(
    public_key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
) -> Result<u16, JsValue> {
    let (public_key, signature) = key_and_signature(&public_key, &signature)?;
    // The byte-level verdict first: 0 here means "up to the host".
    let code = suite_verdict(&public_key, &signature, || true);
    if code != 0 {
        return Ok(code);
    }
    Ok(if host_accepts(&public_key, &message, &signature).await? { 0 } else { 600 })
}

/// The same verdict with the in-WASM provider alone (full build).
///
/// # Errors
///
/// Throws when a key is not 32 bytes or a signature not 64.
#[cfg(feature = "wasm-crypto")]
#[wasm_bindgen(js_name = ed25519Verdict)]
pub fn ed25519_verdict(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<u16, JsValue> {
    let (public_key, signature) = key_and_signature(public_key, signature)?;
    Ok(suite_verdict(&public_key, &signature, || {
        migseal_verifier::verify_with_public_key(&migseal_verifier::Dalek, &public_key, message, &signature)
            .is_ok()
    }))
}

fn key_and_signature(
    public_key: &[u8],
    signature: &[u8],
) -> Result<(PublicKey, [u8; SIGNATURE_LEN]), JsValue> {
    let bad = |what: &str| thrown(&Failure::invalid(Input::Call, what));
    let key = PublicKey::try_from(public_key).map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
    let sig =
        <[u8; SIGNATURE_LEN]>::try_from(signature).map_err(|_| bad("an Ed25519 signature is 64 bytes"))?;
    Ok((key, sig))
}
