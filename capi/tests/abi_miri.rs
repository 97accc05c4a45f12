//! The C ABI driven from Rust the way C drives it: opaque objects in
//! caller-owned, suitably aligned byte buffers, every call through raw
//! pointers. Written to run under Miri (`cargo xtask ci --only miri`), which
//! checks each `unsafe` block of `capi/` on these paths for undefined
//! behaviour: out-of-bounds or misaligned accesses, reads of uninitialised
//! memory, aliasing violations, use after move. No file or process I/O
//! (Miri isolates), and few signatures (Ed25519 under Miri takes tens of
//! seconds each), so inputs come from `include_bytes!`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

use migseal_capi::*;

const IMAGE: &[u8] = include_bytes!("../../spec/vectors/images/mtty-2-single-chunk.migseal");
const CROSS_VENDOR: &[u8] = include_bytes!("../../spec/vectors/images/cross-vendor.migseal");
const DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/mtty-2.cbor");
const POLICY: &str = include_str!("../../spec/vectors/policies/default.json");

/// Caller-owned memory for one ABI object: `u64` words, so 8-aligned as
/// every `MIGSEAL_*_ALIGN` asks (checked in `buffers_meet_the_abi_alignment`).
struct Mem(Vec<u64>);

impl Mem {
    fn new(size: usize) -> Self {
        Mem(vec![0; size.div_ceil(8)])
    }
    fn ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
    fn size(&self) -> usize {
        self.0.len() * 8
    }
}

/// The trusted keys of the spec's default policy for vendor `linux`.
fn linux_keys() -> Vec<([u8; 32], Vec<CString>)> {
    let json: serde_json::Value = serde_json::from_str(POLICY).unwrap();
    json["trusted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["vendor"] == "linux")
        .map(|k| {
            let pk = <[u8; 32]>::try_from(hex::decode(k["public_key"].as_str().unwrap()).unwrap()).unwrap();
            let types = k["device_types"].as_array().map_or_else(Vec::new, |ts| {
                ts.iter().map(|t| CString::new(t.as_str().unwrap()).unwrap()).collect()
            });
            (pk, types)
        })
        .collect()
}

/// A policy trusting `keys` for vendor `linux`, built in `mem`.
fn policy(mem: &mut Mem, keys: &[([u8; 32], Vec<CString>)]) -> *mut migseal_policy {
    let mut p = ptr::null_mut();
    let vendor = c"linux";
    // SAFETY: `mem` is writable for `mem.size()` bytes and 8-aligned; every
    // key is 32 bytes; the strings are NUL-terminated and outlive the calls.
    unsafe {
        assert_eq!(migseal_policy_init(mem.ptr(), mem.size(), &mut p), migseal_status::MIGSEAL_OK);
        for (pk, types) in keys {
            let ptrs: Vec<*const c_char> = types.iter().map(|t| t.as_ptr()).collect();
            let st =
                migseal_policy_add_trusted_key(p, pk.as_ptr(), vendor.as_ptr(), ptrs.as_ptr(), ptrs.len());
            assert_eq!(st, migseal_status::MIGSEAL_OK);
        }
    }
    p
}

/// The spec's mtty-2 destination descriptor, copied into `mem`.
fn device(mem: &mut Mem) -> *mut migseal_device {
    let mut d = ptr::null_mut();
    // SAFETY: `mem` writable and aligned; DEVICE is readable for its length.
    let st = unsafe { migseal_device_init(mem.ptr(), mem.size(), DEVICE.as_ptr(), DEVICE.len(), &mut d) };
    assert_eq!(st, migseal_status::MIGSEAL_OK);
    d
}

/// Feeds `image` in `fragment`-byte pieces, moving the verifier's memory to
/// a fresh buffer between calls (the ABI allows it: no self-pointers), and
/// returns the status of the first refusal or of `finish`, the verdict,
/// and the payload runs the steps reported.
fn verify(
    policy: *const migseal_policy,
    device: *const migseal_device,
    image: &[u8],
    fragment: usize,
) -> (migseal_status, migseal_verdict, Vec<u8>, Mem) {
    let mut mem = Mem::new(migseal_verifier_size());
    let mut v = ptr::null_mut();
    let mut payload = Vec::new();
    // SAFETY: `mem` writable and aligned for the verifier; `policy` and
    // `device` initialised by the callers; every `buf` lies inside `image`.
    unsafe {
        assert_eq!(migseal_verifier_init(mem.ptr(), mem.size(), &mut v), migseal_status::MIGSEAL_OK);
        let mut at = 0;
        while at < image.len() {
            let len = fragment.min(image.len() - at);
            let mut step = migseal_step::default();
            let st = migseal_verifier_advance(v, policy, device, image[at..].as_ptr(), len, &mut step);
            if st != migseal_status::MIGSEAL_OK {
                assert_eq!(step.consumed, 0, "a refusal consumes nothing");
                return (st, zeroed_verdict(), payload, mem);
            }
            assert!(step.consumed > 0 && step.consumed <= len);
            let run = at + step.payload_start..at + step.payload_start + step.payload_len;
            payload.extend_from_slice(&image[run]);
            at += step.consumed;
            // Move the verifier: copy its bytes to a new buffer, drop the old.
            let mut moved = Mem::new(migseal_verifier_size());
            moved.0.copy_from_slice(&mem.0);
            mem = moved;
            v = mem.ptr().cast();
        }
        let mut verdict = zeroed_verdict();
        let st = migseal_verifier_finish(v, &mut verdict);
        (st, verdict, payload, mem)
    }
}

fn zeroed_verdict() -> migseal_verdict {
    // SAFETY: migseal_verdict is plain old data (integers and arrays of
    // them), for which all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

fn c_string(chars: &[c_char]) -> String {
    CStr::from_bytes_until_nul(&chars.iter().map(|&c| c.to_ne_bytes()[0]).collect::<Vec<u8>>())
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn buffers_meet_the_abi_alignment() {
    for align in
        [migseal_policy_align(), migseal_device_align(), migseal_verifier_align(), migseal_sealer_align()]
    {
        assert!(align <= std::mem::align_of::<u64>(), "Mem gives 8-byte alignment, the ABI asks {align}");
    }
}

#[test]
fn spec_vector_verifies_through_pointers() {
    let (mut pm, mut dm) = (Mem::new(migseal_policy_size()), Mem::new(migseal_device_size()));
    let p = policy(&mut pm, &linux_keys());
    let d = device(&mut dm);
    let (st, verdict, payload, mut mem) = verify(p, d, IMAGE, 97);
    assert_eq!(st, migseal_status::MIGSEAL_OK);
    assert_eq!(verdict.chunk_count, 1);
    assert_eq!(verdict.payload_len, u64::try_from(payload.len()).unwrap());
    assert_eq!(c_string(&verdict.vendor), "linux");
    assert_eq!(c_string(&verdict.device_type), "mtty-2");
    // SAFETY: the verifier lives (moved) in `mem`.
    assert_eq!(unsafe { migseal_verifier_drop(mem.ptr().cast()) }, migseal_status::MIGSEAL_OK);
}

#[test]
fn refusal_is_reported_through_error_and_message() {
    let (mut pm, mut dm) = (Mem::new(migseal_policy_size()), Mem::new(migseal_device_size()));
    let p = policy(&mut pm, &linux_keys());
    let d = device(&mut dm);
    // Refused at the header gate, before any signature: cheap under Miri.
    let (st, _, payload, mut mem) = verify(p, d, CROSS_VENDOR, 64);
    assert_ne!(st, migseal_status::MIGSEAL_OK);
    assert!(payload.is_empty(), "nothing of a refused image reaches the caller");
    let v = mem.ptr().cast::<migseal_verifier>();
    // SAFETY: `v` is the (moved) verifier; `err`, `needed` and the message
    // buffers are writable for the lengths passed.
    unsafe {
        let mut err = std::mem::zeroed::<migseal_error>();
        // The sticky refusal, with its code.
        assert_eq!(migseal_verifier_error(v, &mut err), st);
        assert_eq!(err.code, st.code());
        let mut needed = 0usize;
        // Asking with no room gives the length; then the message fits.
        let _ = migseal_verifier_message(v, ptr::null_mut(), 0, &mut needed);
        assert!(needed > 1);
        let mut buf = vec![c_char::default(); needed + 1];
        assert_eq!(
            migseal_verifier_message(v, buf.as_mut_ptr(), buf.len(), &mut needed),
            migseal_status::MIGSEAL_OK
        );
        let text = c_string(&buf);
        assert_eq!(text.len(), needed);
        // Too small a buffer: refused, nothing written past it.
        let mut small = vec![c_char::from_ne_bytes([0x7f]); 4];
        let st = migseal_verifier_message(v, small.as_mut_ptr(), 3, &mut needed);
        assert_eq!(st, migseal_status::MIGSEAL_ABI_BUFFER_TOO_SMALL);
        assert_eq!(small[3], 0x7f);
        assert_eq!(migseal_verifier_drop(v), migseal_status::MIGSEAL_OK);
    }
}

#[test]
fn c_sealer_output_verifies_through_the_c_verifier() {
    const SEED: [u8; 32] = [0x5a; 32];
    let strings = ["linux", "vfio-pci", "mtty-2", "mtty", "vm-7"].map(|s| CString::new(s).unwrap());
    let session = [0x11u8; 16];
    let header = migseal_seal_header {
        vendor: strings[0].as_ptr(),
        device_api: strings[1].as_ptr(),
        device_type: strings[2].as_ptr(),
        codec: strings[3].as_ptr(),
        state_version_major: 1,
        state_version_minor: 0,
        security_version: 3,
        session: session.as_ptr(),
        session_len: session.len(),
        subject: strings[4].as_ptr(),
    };
    let data: Vec<u8> = (0..64u8).collect();
    let mut image =
        vec![0u8; MIGSEAL_MAX_HEADER_LEN + MIGSEAL_CHUNK_HEAD_MAX_LEN + data.len() + MIGSEAL_SEAL_RECORD_LEN];
    let mut pk = [0u8; 32];
    let mut sm = Mem::new(migseal_sealer_size());
    // SAFETY: `sm` writable and aligned for the sealer; SEED 32 bytes; the
    // header's strings, `data` and `image` outlive every call; each `out`
    // points inside `image` with its remaining length.
    unsafe {
        assert_eq!(migseal_public_key(SEED.as_ptr(), pk.as_mut_ptr()), migseal_status::MIGSEAL_OK);
        let s = sm.ptr().cast::<migseal_sealer>();
        let (mut n, mut w) = (0usize, 0usize);
        let st = migseal_sealer_init(
            s.cast(),
            sm.size(),
            SEED.as_ptr(),
            &header,
            image.as_mut_ptr(),
            image.len(),
            &mut w,
        );
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        n += w;
        let len = u64::try_from(data.len()).unwrap();
        let st = migseal_sealer_begin_chunk(s, len, image[n..].as_mut_ptr(), image.len() - n, &mut w);
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        n += w;
        image[n..n + data.len()].copy_from_slice(&data);
        assert_eq!(migseal_sealer_chunk_data(s, data.as_ptr(), 10), migseal_status::MIGSEAL_OK);
        assert_eq!(
            migseal_sealer_chunk_data(s, data[10..].as_ptr(), data.len() - 10),
            migseal_status::MIGSEAL_OK
        );
        n += data.len();
        let st = migseal_sealer_finish(s, image[n..].as_mut_ptr(), image.len() - n, &mut w);
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        n += w;
        migseal_sealer_release(s);
        image.truncate(n);
    }
    // The released block is not read back here: after release the sealer's
    // memory holds a new value whose unused bytes are uninitialised in the
    // abstract machine, and reading them as integers is undefined behaviour
    // (Miri says so). The wipe itself is tested natively in tests/sealer.rs.

    let (mut pm, mut dm) = (Mem::new(migseal_policy_size()), Mem::new(migseal_device_size()));
    let p = policy(&mut pm, &[(pk, vec![CString::new("mtty-2").unwrap()])]);
    let d = device(&mut dm);
    let (st, verdict, payload, _mem) = verify(p, d, &image, 33);
    assert_eq!(st, migseal_status::MIGSEAL_OK);
    assert_eq!(payload, data);
    assert_eq!(verdict.payload_len, 64);
    assert_eq!(c_string(&verdict.subject), "vm-7");
}
