//! The C sealer writes exactly the bytes of the Rust `Sealer` (output is
//! deterministic), refuses misuse with ABI codes, and wipes its secret key
//! when released.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::ffi::CString;

use migseal::format::Ident;
use migseal::format::envelope::{DeviceIdentity, Header, IdentList, SessionNonce, StateVersion};
use migseal::verifier::{Dalek, Sealer, SealingKey};
use migseal_capi::*;

const SEED: [u8; 32] = [0x5a; 32];
const SESSION: [u8; 16] = [0x11; 16];

#[repr(C, align(8))]
struct Mem([u8; MIGSEAL_SEALER_SIZE]);

fn c_header(strings: &[CString; 5]) -> migseal_seal_header {
    migseal_seal_header {
        vendor: strings[0].as_ptr(),
        device_api: strings[1].as_ptr(),
        device_type: strings[2].as_ptr(),
        codec: strings[3].as_ptr(),
        state_version_major: 1,
        state_version_minor: 0,
        security_version: 3,
        session: SESSION.as_ptr(),
        session_len: SESSION.len(),
        subject: strings[4].as_ptr(),
    }
}

fn strings() -> [CString; 5] {
    ["linux", "vfio-pci", "mtty-2", "mtty", "vm-7"].map(|s| CString::new(s).unwrap())
}

/// Seals `data` through the C ABI; returns the image.
fn c_seal(mem: &mut Mem, data: &[u8]) -> Vec<u8> {
    let strings = strings();
    let h = c_header(&strings);
    let mut out =
        vec![0u8; MIGSEAL_MAX_HEADER_LEN + MIGSEAL_CHUNK_HEAD_MAX_LEN + data.len() + MIGSEAL_SEAL_RECORD_LEN];
    let (mut n, mut w) = (0usize, 0usize);
    let s = std::ptr::from_mut(mem).cast::<migseal_sealer>();
    // SAFETY: `mem` is MIGSEAL_SEALER_SIZE bytes aligned to 8; the seed, the
    // header's strings and `out` outlive the calls.
    unsafe {
        let st = migseal_sealer_init(
            s.cast(),
            MIGSEAL_SEALER_SIZE,
            SEED.as_ptr(),
            &h,
            out.as_mut_ptr(),
            out.len(),
            &mut w,
        );
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        n += w;
        let st = migseal_sealer_begin_chunk(
            s,
            u64::try_from(data.len()).unwrap(),
            out[n..].as_mut_ptr(),
            out.len() - n,
            &mut w,
        );
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        n += w;
        out[n..n + data.len()].copy_from_slice(data);
        // In two pieces: any split works.
        let half = data.len() / 2;
        assert_eq!(migseal_sealer_chunk_data(s, data.as_ptr(), half), migseal_status::MIGSEAL_OK);
        assert_eq!(
            migseal_sealer_chunk_data(s, data[half..].as_ptr(), data.len() - half),
            migseal_status::MIGSEAL_OK
        );
        n += data.len();
        let st = migseal_sealer_finish(s, out[n..].as_mut_ptr(), out.len() - n, &mut w);
        assert_eq!(st, migseal_status::MIGSEAL_OK);
        assert_eq!(w, MIGSEAL_SEAL_RECORD_LEN);
        n += w;
    }
    out.truncate(n);
    out
}

#[test]
fn c_sealer_writes_the_rust_sealers_bytes() {
    let data: Vec<u8> = (0..96u8).collect();
    let mut mem = Mem([0; MIGSEAL_SEALER_SIZE]);
    let image = c_seal(&mut mem, &data);
    // SAFETY: the sealer was initialised in `mem` and not moved.
    unsafe { migseal_sealer_release(std::ptr::from_mut(&mut mem).cast()) };

    let key = SealingKey::from_seed(&SEED);
    let id = |s| Ident::new(s).unwrap();
    let header = Header {
        identity: DeviceIdentity {
            vendor: id("linux"),
            device_api: id("vfio-pci"),
            device_type: id("mtty-2"),
        },
        state_version: StateVersion::new(1, 0),
        features: IdentList::EMPTY,
        config: None,
        codec: id("mtty"),
        security_version: 3,
        session: Some(SessionNonce::new(&SESSION).unwrap()),
        subject: Some(migseal::format::Subject::new("vm-7").unwrap()),
        key_id: key.key_id(&Dalek),
    };
    let mut want = vec![0u8; 4096];
    let (mut sealer, n) = Sealer::new(key, Dalek, &header, &mut want).unwrap();
    want.truncate(n);
    want.extend_from_slice(sealer.chunk(&data).unwrap().as_bytes());
    want.extend_from_slice(&data);
    want.extend_from_slice(&sealer.finish().unwrap());
    assert_eq!(image, want);
}

#[test]
fn release_wipes_the_secret_key() {
    let contains_seed = |m: &Mem| m.0.windows(32).any(|w| w == SEED);
    let mut mem = Mem([0; MIGSEAL_SEALER_SIZE]);
    let _ = c_seal(&mut mem, b"state");
    assert!(contains_seed(&mem), "the key lives in the caller's memory until release");
    // SAFETY: initialised in `mem`, not moved.
    unsafe { migseal_sealer_release(std::ptr::from_mut(&mut mem).cast()) };
    assert!(!contains_seed(&mem), "release must wipe the secret key");
    assert!(mem.0.iter().all(|&b| b == 0), "release leaves plain zero bytes, not a dropped value");
}

#[test]
fn misuse_is_refused_with_abi_codes() {
    let mut mem = Mem([0; MIGSEAL_SEALER_SIZE]);
    let s = std::ptr::from_mut(&mut mem).cast::<migseal_sealer>();
    let (mut out, mut w) = ([0u8; 256], 0usize);
    // SAFETY: valid pointers; the sealer was never initialised.
    unsafe {
        assert_eq!(
            migseal_sealer_finish(s, out.as_mut_ptr(), out.len(), &mut w),
            migseal_status::MIGSEAL_ABI_BAD_STATE
        );
        assert_eq!(
            migseal_sealer_chunk_data(std::ptr::null_mut(), out.as_ptr(), 1),
            migseal_status::MIGSEAL_ABI_NULL_POINTER
        );
        let strings = strings();
        let h = c_header(&strings);
        let st = migseal_sealer_init(
            s.cast(),
            MIGSEAL_SEALER_SIZE - 1,
            SEED.as_ptr(),
            &h,
            out.as_mut_ptr(),
            out.len(),
            &mut w,
        );
        assert_eq!(st, migseal_status::MIGSEAL_ABI_BUFFER_TOO_SMALL);
        let bad = CString::new("bad vendor").unwrap();
        let h = migseal_seal_header { vendor: bad.as_ptr(), ..c_header(&strings) };
        let st = migseal_sealer_init(
            s.cast(),
            MIGSEAL_SEALER_SIZE,
            SEED.as_ptr(),
            &h,
            out.as_mut_ptr(),
            out.len(),
            &mut w,
        );
        assert_eq!(st, migseal_status::MIGSEAL_INVALID_IDENTIFIER);
    }
    assert_eq!(migseal_sealer_size(), MIGSEAL_SEALER_SIZE);
    assert_eq!(migseal_sealer_align(), MIGSEAL_SEALER_ALIGN);
}

#[test]
fn size_constants_equal_the_size_functions() {
    assert_eq!((migseal_policy_size(), migseal_policy_align()), (MIGSEAL_POLICY_SIZE, MIGSEAL_POLICY_ALIGN));
    assert_eq!((migseal_device_size(), migseal_device_align()), (MIGSEAL_DEVICE_SIZE, MIGSEAL_DEVICE_ALIGN));
    assert_eq!(
        (migseal_verifier_size(), migseal_verifier_align()),
        (MIGSEAL_VERIFIER_SIZE, MIGSEAL_VERIFIER_ALIGN)
    );
    assert_eq!((migseal_sealer_size(), migseal_sealer_align()), (MIGSEAL_SEALER_SIZE, MIGSEAL_SEALER_ALIGN));
}
