//! `codec_mtty`, `codec_virtio`, `codec_vfio_ap`: each reference codec's
//! decoder on any payload, through the registry as a restore path calls it.
//!
//! Properties: no panic; error offsets lie within the payload; a decoded
//! state has the codec it was dispatched to, its exact encoded length is
//! the payload's, it encodes back to the same bytes, and those decode to
//! the same state (decode → encode → decode is stable); and the identity
//! gate holds: the same bytes under an identity the codec does not handle
//! are refused before any byte is read. A decoded state describes itself
//! as JSON (`migseal verify --decode`); a vfio-ap matrix prints in the
//! kernel's sysfs forms and parses back to itself, and the payload read as
//! sysfs text is parsed (refusals inside the text, accepted text printing
//! back to what parses to the same matrix).
//!
//! Input layout:
//!
//! ```text
//! byte 0   identity selector: low nibble picks the device type, high
//!          nibble the state version, among those the codec handles
//! rest     the payload
//! ```

use migseal_codecs::vfio_ap::{ApMatrix, sysfs};
use migseal_codecs::{CodecId, Decoded, ErrorCode, Registry};
use migseal_verifier::{ImageIdentity, VerifiedPayload};

/// The identity byte `selector` picks for `codec`.
#[must_use]
pub fn identity(codec: CodecId, selector: u8) -> ImageIdentity<'static> {
    let h = codec.handles();
    let t = usize::from(selector & 0x0f) % h.device_types.len();
    let v = usize::from(selector >> 4) % h.state_versions.len();
    ImageIdentity {
        vendor: h.vendor,
        device_api: h.device_api,
        device_type: h.device_types[t],
        codec: h.codec,
        state_version: h.state_versions[v],
    }
}

/// The selector byte for a device type and version `codec` handles.
#[must_use]
pub fn selector(codec: CodecId, device_type: &str, version: (u32, u32)) -> Option<u8> {
    let h = codec.handles();
    let t = h.device_types.iter().position(|d| *d == device_type)?;
    let v = h.state_versions.iter().position(|s| *s == version)?;
    u8::try_from(v * 16 + t).ok()
}

/// The codec a target name fuzzes.
#[must_use]
pub fn for_target(target: &str) -> Option<CodecId> {
    match target {
        "codec_mtty" => Some(CodecId::Mtty),
        "codec_virtio" => Some(CodecId::VirtioDevParts),
        "codec_vfio_ap" => Some(CodecId::VfioApMatrix),
        _ => None,
    }
}

/// The target that fuzzes `codec`.
#[must_use]
pub fn target_for(codec: CodecId) -> &'static str {
    match codec {
        CodecId::Mtty => "codec_mtty",
        CodecId::VirtioDevParts => "codec_virtio",
        CodecId::VfioApMatrix => "codec_vfio_ap",
        _ => "codec_unknown",
    }
}

/// Checks every property for `codec` on `data`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check(codec: CodecId, data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else { return };
    let id = identity(codec, sel);
    assert_eq!(Registry::find(&id).ok(), Some(codec), "the registry dispatches {id:?} elsewhere");
    let decoded = Registry::decode(VerifiedPayload::unverified_less_safe(payload, id));

    // The identity gate: another codec name never reaches this decoder.
    let foreign = ImageIdentity { codec: "not-a-codec", ..id };
    let e = Registry::decode(VerifiedPayload::unverified_less_safe(payload, foreign))
        .expect_err("a payload of an unknown codec was decoded");
    assert_eq!((e.code(), e.offset()), (ErrorCode::NoCodec, 0));

    if codec == CodecId::VfioApMatrix
        && let Ok(text) = std::str::from_utf8(payload)
    {
        sysfs_text(text);
    }
    let state = match decoded {
        Ok(state) => state,
        Err(e) => {
            let len = u64::try_from(payload.len()).unwrap_or(u64::MAX);
            assert!(e.offset() <= len, "error offset {} beyond a {len}-byte payload: {e}", e.offset());
            assert!(!e.to_string().is_empty() && !e.code().advice().is_empty(), "{e:?} has no message");
            return;
        }
    };
    // What `migseal verify --decode` prints: any decoded state describes.
    let json = migseal_codecs::describe::to_json(&state);
    assert!(json.is_object(), "describe gave {json}");
    if let Decoded::VfioApMatrix(m) = &state {
        sysfs_round_trip(m);
    }
    assert_eq!(state.codec(), codec, "decoded by another codec");
    assert_eq!(Registry::encoded_len(&state), payload.len(), "encoded_len differs from the payload's");
    let bytes =
        Registry::encode_to_vec(&state).unwrap_or_else(|e| panic!("a decoded state does not encode: {e}"));
    assert_eq!(bytes, payload, "encode(decode(x)) != x");
    let again = Registry::decode(VerifiedPayload::unverified_less_safe(&bytes, id))
        .unwrap_or_else(|e| panic!("re-encoded state refused: {e}"));
    assert_eq!(again, state, "decode(encode(decode(x))) != decode(x)");
}

/// A matrix printed in the sysfs forms parses back to itself.
fn sysfs_round_trip(m: &ApMatrix) {
    let (mut matrix, mut domains, mut config) = (String::new(), String::new(), String::new());
    sysfs::write_matrix(m, &mut matrix).expect("String never fails");
    sysfs::write_control_domains(m, &mut domains).expect("String never fails");
    sysfs::write_ap_config(m, &mut config).expect("String never fails");
    assert_eq!(sysfs::parse_ap_config(&config).as_ref(), Ok(m), "ap_config {config:?}");
    let from_listing = sysfs::from_sysfs(&matrix, &domains).unwrap_or_else(|e| panic!("{e}: {matrix:?}"));
    // The listing is the cross product, or the one non-empty mask alone:
    // exact either way.
    assert_eq!(&from_listing, m, "matrix {matrix:?} / control_domains {domains:?}");
}

/// The payload as sysfs text: no panic, refusals inside the text, and an
/// accepted text prints back to text that parses to the same matrix.
fn sysfs_text(text: &str) {
    let len = text.len() as u64;
    let inside = |r: &Result<ApMatrix, migseal_codecs::Error>| {
        if let Err(e) = r {
            assert!(e.offset() <= len, "sysfs error offset {} beyond {len} bytes: {e}", e.offset());
        }
    };
    let matrix = sysfs::parse_matrix(text);
    inside(&matrix);
    if let Ok(m) = &matrix {
        let mut again = String::new();
        sysfs::write_matrix(m, &mut again).expect("String never fails");
        assert_eq!(sysfs::parse_matrix(&again).as_ref(), Ok(m), "{text:?} printed as {again:?}");
    }
    let config = sysfs::parse_ap_config(text);
    inside(&config);
    if let Ok(m) = &config {
        let mut again = String::new();
        sysfs::write_ap_config(m, &mut again).expect("String never fails");
        assert_eq!(sysfs::parse_ap_config(&again).as_ref(), Ok(m), "{text:?} printed as {again:?}");
    }
    let mut m = ApMatrix::empty();
    inside(&sysfs::parse_control_domains(text, &mut m).map(|()| m));
    if let Err(e) = sysfs::parse_id(text) {
        assert!(e.offset() <= len, "parse_id offset {} beyond {len}: {e}", e.offset());
    }
}
