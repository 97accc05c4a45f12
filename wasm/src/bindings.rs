//! The JavaScript edge: `#[wasm_bindgen]` exports, argument conversion and
//! thrown errors. Results cross as JSON (one `JSON.parse` per call), so the
//! objects are exactly those `migseal --json` prints.

use migseal_format::envelope::Descriptor;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::error::{Failure, Input};
use crate::from_js::descriptor_arg;
#[cfg(feature = "wasm-crypto")]
use crate::from_js::policy_arg;
use crate::inputs::descriptor_cbor;
#[cfg(feature = "wasm-crypto")]
use crate::stream::StreamCore;
use crate::to_js::{thrown, to_js};

#[wasm_bindgen(typescript_custom_section)]
const RESULT_TYPES: &'static str = r#"
/** A device descriptor: canonical CBOR bytes, or its JSON form as text, UTF-8 bytes or an object. */
export type DescriptorInput = Uint8Array | ArrayBuffer | string | DescriptorJson;
/** A trust policy: the JSON policy file the CLI reads, as text, UTF-8 bytes or an object. */
export type PolicyInput = Uint8Array | ArrayBuffer | string | PolicyJson;

/** The JSON form of a device descriptor (what a source emits / what a destination accepts). */
export interface DescriptorJson {
  role: "source" | "destination";
  vendor: string;
  device_api: string;
  device_type: string;
  /** Version ranges: "1.0", "1.0-1.3" or { min: "1.0", max: "1.3" }. */
  versions: Array<string | { min: string; max: string }>;
  features?: string[];
  /** Shell-device configuration (vfio-ap matrix, ...). */
  config?: { kind: string; data_hex: string };
  codecs: string[];
}

/** The trust policy file. */
export interface PolicyJson {
  trusted?: Array<{ public_key: string; vendor: string; device_types?: string[] }>;
  revoked?: string[];
  min_security?: Array<{ vendor: string; device_type?: string; minimum: number }>;
  /** This migration's session nonce, hex: images must carry it. */
  session?: string;
  /** The VM the state must belong to. */
  subject?: string;
  limits?: { max_header_len?: number; max_chunk_len?: number; max_chunks?: number; max_total_len?: number };
}

/** An image header's fields. Unverified in inspect(), verified in a Verdict. */
export interface HeaderFields {
  vendor: string;
  device_api: string;
  device_type: string;
  /** "MAJOR.MINOR" */
  state_version: string;
  features: string[];
  config: { kind: string; data_hex: string } | null;
  codec: string;
  /** Exact up to 2^53 - 1. */
  security_version: number;
  /** Session nonce, hex. */
  session: string | null;
  subject: string | null;
  /** SHA-256 id of the signing key, hex. */
  key_id: string;
}

/** An image that verified: the only success. */
export interface Verdict {
  verdict: "verified";
  header: HeaderFields;
  chunk_count: number;
  payload_len: number;
  image_len: number;
  /** The digest the seal signs, hex: a stable name for exactly this image. */
  image_digest: string;
}

/** What an image's header claims. NOTHING here is authenticated. */
export interface HeaderSummary {
  verdict: "unverified";
  warning: string;
  header: HeaderFields;
  header_len: number;
  digests: { header: string };
  /** The source descriptor the header implies: pass it to checkCompat() for every reason. */
  source_descriptor: DescriptorJson;
}

/** One reason a source cannot go to a destination (codes 500-507). */
export interface CompatReason {
  code: number;
  name: string;
  message: string;
}

export interface CompatResult {
  verdict: "compatible" | "incompatible";
  compatible: boolean;
  /** The highest state version both sides support, if any. */
  chosen_version: string | null;
  reason_count: number;
  reasons: CompatReason[];
}

export interface CborCheck {
  valid: true;
  len: number;
}

/**
 * What every function throws. `code` is the stable number of spec §9
 * (100-699) with its short name in `codeName`; both are null when an
 * argument is not valid JSON or not the expected form. `input` names the
 * argument at fault, `offset` the byte in it.
 */
export interface MigsealError extends Error {
  name: "MigsealError";
  input: "image" | "policy" | "device" | "source" | "destination" | "bytes" | "call";
  code: number | null;
  codeName: string | null;
  /** The code's class, as the CLI's `--json` prints it ("signature"). */
  class: string | null;
  errno: number | null;
  offset: number | null;
}
"#;

/// A JavaScript number for a byte count: exact below 2^53, far beyond what
/// a browser can hold in memory or stream in a session.
#[allow(clippy::as_conversions, clippy::cast_precision_loss)]
fn js_number(n: u64) -> f64 {
    n as f64
}

pub(crate) fn descriptor(input: Input, value: &JsValue) -> Result<Vec<u8>, JsValue> {
    descriptor_arg(input, value).and_then(|d| descriptor_cbor(input, d)).map_err(|f| thrown(&f))
}

fn js_result(r: Result<Value, Failure>) -> Result<JsValue, JsValue> {
    r.map(|v| to_js(&v)).map_err(|f| thrown(&f))
}

/// Checks whether a source device's state can be taken by a destination
/// device. Both descriptors may be canonical CBOR bytes or the JSON form.
/// Returns every reason it cannot, with stable codes 500–507, and the
/// state version both would use.
///
/// Throws a `MigsealError` when a descriptor is not valid.
#[wasm_bindgen(js_name = checkCompat, unchecked_return_type = "CompatResult")]
pub fn check_compat(
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] source: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] destination: JsValue,
) -> Result<JsValue, JsValue> {
    let source = descriptor(Input::Source, &source)?;
    let destination = descriptor(Input::Destination, &destination)?;
    js_result(crate::compat::check_compat(&source, &destination))
}

/// What an image's header says about itself, UNVERIFIED: no policy, no
/// signature. Reads only the header record, so the first 4096 bytes of a
/// file are enough (`await file.slice(0, 4096).arrayBuffer()`).
///
/// Throws a `MigsealError` with the verifier's code when the bytes do not
/// start with a valid header record.
#[wasm_bindgen(unchecked_return_type = "HeaderSummary")]
pub fn inspect(bytes: &[u8]) -> Result<JsValue, JsValue> {
    js_result(crate::inspect::inspect(bytes))
}

/// Verifies a whole image in memory for the destination `device` under
/// `policy` (the CLI's JSON policy file). Returns the verdict: the header
/// the seal vouches for, chunk count, sizes and image digest.
///
/// Throws a `MigsealError` carrying the stable code, name, errno and byte
/// offset when the image is refused (or the policy or device is invalid).
#[cfg(feature = "wasm-crypto")]
#[wasm_bindgen(unchecked_return_type = "Verdict")]
pub fn verify(
    bytes: &[u8],
    #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] device: JsValue,
) -> Result<JsValue, JsValue> {
    let policy = policy_arg(&policy).map_err(|f| thrown(&f))?;
    let device = descriptor(Input::Device, &device)?;
    js_result(crate::verify::verify(bytes, &policy, &device))
}

/// Checks that `bytes` are exactly one canonical CBOR data item, with the
/// reader every migseal record goes through.
///
/// Throws a `MigsealError` naming the first refused form and its offset.
#[wasm_bindgen(js_name = validateCbor, unchecked_return_type = "CborCheck")]
pub fn validate_cbor(bytes: &[u8]) -> Result<JsValue, JsValue> {
    js_result(crate::cbor::validate_cbor(bytes))
}

/// A descriptor (CBOR or JSON form) as canonical CBOR, the form devices
/// publish and `verify` compares byte for byte.
///
/// Throws a `MigsealError` when it is not a valid descriptor.
#[wasm_bindgen(js_name = descriptorToCbor)]
pub fn descriptor_to_cbor(
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] descriptor: JsValue,
) -> Result<Vec<u8>, JsValue> {
    self::descriptor(Input::Device, &descriptor)
}

/// A descriptor (CBOR or JSON form) in its JSON form, canonically ordered:
/// what a page shows and lets a person edit.
///
/// Throws a `MigsealError` when it is not a valid descriptor.
#[wasm_bindgen(js_name = descriptorToJson, unchecked_return_type = "DescriptorJson")]
pub fn descriptor_to_json(
    #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] descriptor: JsValue,
) -> Result<JsValue, JsValue> {
    let cbor = self::descriptor(Input::Device, &descriptor)?;
    let d = Descriptor::decode(&cbor).map_err(|e| thrown(&Failure::format(Input::Device, &e)))?;
    Ok(crate::to_js::descriptor_to_js(&migseal::descriptor_json::DescriptorJson::from_descriptor(&d)))
}

/// Bytes of WebAssembly memory this module holds: what a page can watch to
/// see that streaming verification stays in constant memory.
#[wasm_bindgen(js_name = memoryBytes)]
#[must_use]
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    let pages = core::arch::wasm32::memory_size::<0>();
    #[cfg(not(target_arch = "wasm32"))]
    let pages = 0usize;
    js_number(u64::try_from(pages).unwrap_or(u64::MAX).saturating_mul(65536))
}

/// Verifies an image as it streams in, in constant memory: give it the
/// chunks of `File.stream()` or a `fetch` body as they arrive, then call
/// `finish()`, the only success.
///
/// ```js
/// const v = new StreamVerifier(policy, device);
/// for await (const chunk of file.stream()) v.push(chunk);
/// const verdict = v.finish();
/// ```
#[cfg(feature = "wasm-crypto")]
#[wasm_bindgen]
#[derive(Debug)]
pub struct StreamVerifier {
    core: StreamCore,
}

#[cfg(feature = "wasm-crypto")]
#[wasm_bindgen]
impl StreamVerifier {
    /// A verifier for one image destined for `device` under `policy`.
    ///
    /// Throws a `MigsealError` when the policy or the device is not valid
    /// (a weak trusted key: 409).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] policy: JsValue,
        #[wasm_bindgen(unchecked_param_type = "DescriptorInput")] device: JsValue,
    ) -> Result<StreamVerifier, JsValue> {
        let policy = policy_arg(&policy).map_err(|f| thrown(&f))?;
        let device = descriptor(Input::Device, &device)?;
        let core = StreamCore::new(policy, device).map_err(|f| thrown(&f))?;
        Ok(Self { core })
    }

    /// Verifies the next piece of the image (any size, even empty).
    ///
    /// Throws a `MigsealError` at the first structural, limit, header,
    /// trust or policy refusal; the verifier then stays failed and every
    /// later call throws the same error.
    pub fn push(&mut self, chunk: Vec<u8>) -> Result<(), JsValue> {
        self.core.push(chunk).map_err(|f| thrown(&f))
    }

    /// Ends the stream and checks the seal. Returns the verdict; calling it
    /// again returns the same verdict.
    ///
    /// Throws a `MigsealError` when the stream was cut off (306), the
    /// signature does not verify (600–602), or on an earlier refusal.
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        js_result(self.core.finish())
    }

    /// Image bytes verified so far (for a progress bar).
    #[wasm_bindgen(getter, js_name = bytesVerified)]
    #[must_use]
    pub fn bytes_verified(&self) -> f64 {
        js_number(self.core.offset())
    }
}
