//! `differential`: the four ways to verify the same bytes must give the
//! same verdict: the streaming verifier in fuzzer-chosen fragments,
//! `verify_image`, `verify_image_parallel`, and the C ABI
//! (`migseal_verifier_advance` / `_finish` / `_error`, driven through raw
//! pointers as C drives it, with its policy loaded from the same policy
//! file by `migseal_policy_load_json` and its device by
//! `migseal_device_init`). Same success (digest, chunk count, payload
//! length, payload bytes) or the same code at the same offset, with the
//! errno the tables give that code.
//!
//! Input layout: as `stream_fragments` (setup selector, fragment sizes,
//! image), so the two targets share seeds. The C ABI is fed the same
//! image in fragments of the same sizes, rotated by one, so the two
//! streaming paths do not cut the stream at the same places.

use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::ptr;
use std::sync::OnceLock;

use migseal_capi::policy_file::migseal_policy_load_json;
use migseal_capi::{
    migseal_device, migseal_device_init, migseal_device_size, migseal_error, migseal_policy,
    migseal_policy_init, migseal_policy_size, migseal_status, migseal_step, migseal_verdict,
    migseal_verifier, migseal_verifier_advance, migseal_verifier_error, migseal_verifier_finish,
    migseal_verifier_init, migseal_verifier_size,
};

use crate::setups::{self, DEVICES, POLICIES};
use crate::stream::{self, Accepted};
use crate::typed::table_row;

/// Caller-owned memory for one C ABI object: `u64` words, so 8-aligned as
/// every `migseal_*_align()` asks.
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

/// A policy and a device made through the C ABI, once per process.
struct CSetup {
    policy: Mem,
    device: Mem,
}

/// The C ABI setups, in the order of [`setups::all`].
fn c_setups() -> &'static [CSetup] {
    static ALL: OnceLock<Vec<CSetup>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        for &(pname, ptext) in POLICIES {
            for &(dname, dbytes) in DEVICES {
                let mut policy = Mem::new(migseal_policy_size());
                let mut device = Mem::new(migseal_device_size());
                let (mut p, mut d) = (ptr::null_mut::<migseal_policy>(), ptr::null_mut::<migseal_device>());
                // SAFETY: each Mem is writable for its size and 8-aligned;
                // `ptext` and `dbytes` are readable for their lengths; the
                // out-pointers are locals; line and column may be NULL.
                unsafe {
                    let st = migseal_policy_init(policy.ptr(), policy.size(), &mut p);
                    assert_eq!(st, migseal_status::MIGSEAL_OK, "policy_init");
                    let st = migseal_policy_load_json(
                        p,
                        ptext.as_ptr().cast(),
                        ptext.len(),
                        ptr::null_mut(),
                        ptr::null_mut(),
                    );
                    assert_eq!(st, migseal_status::MIGSEAL_OK, "policies/{pname} through the C ABI");
                    let st = migseal_device_init(
                        device.ptr(),
                        device.size(),
                        dbytes.as_ptr(),
                        dbytes.len(),
                        &mut d,
                    );
                    assert_eq!(st, migseal_status::MIGSEAL_OK, "devices/{dname} through the C ABI");
                }
                out.push(CSetup { policy, device });
            }
        }
        out
    })
}

/// The C ABI's verdict: success with the verdict's facts and the payload
/// it released, or `(code, errno, offset)`.
fn through_c_abi(setup: &CSetup, image: &[u8], sizes: &[u8]) -> Result<Accepted, (i32, i32, u64)> {
    let policy = setup.policy.0.as_ptr().cast::<migseal_policy>();
    let device = setup.device.0.as_ptr().cast::<migseal_device>();
    let mut mem = Mem::new(migseal_verifier_size());
    let mut v = ptr::null_mut::<migseal_verifier>();
    // SAFETY: `mem` writable for its size and aligned; `v` a local.
    let st = unsafe { migseal_verifier_init(mem.ptr(), mem.size(), &mut v) };
    assert_eq!(st, migseal_status::MIGSEAL_OK);
    let error = |v: *mut migseal_verifier| {
        let mut e = migseal_error::default();
        // SAFETY: `v` from migseal_verifier_init, `e` a local.
        let st = unsafe { migseal_verifier_error(v, &mut e) };
        assert_eq!(st.code(), e.code, "migseal_verifier_error returns the code it writes");
        (e.code, e.errno_value, e.offset)
    };
    let rotated: Vec<u8> = sizes.iter().skip(1).chain(sizes.first()).copied().collect();
    let mut cycle = rotated.iter().cycle();
    let mut payload = Vec::new();
    let mut pos = 0usize;
    while pos < image.len() {
        let n = match cycle.next() {
            None | Some(0) => image.len() - pos,
            Some(&n) => usize::from(n).min(image.len() - pos),
        };
        let mut rest = &image[pos..pos + n];
        while !rest.is_empty() {
            let mut step = migseal_step::default();
            // SAFETY: `v`, `policy` and `device` come from their init
            // functions and live across the call; `rest` is readable for
            // its length; `step` a local.
            let st =
                unsafe { migseal_verifier_advance(v, policy, device, rest.as_ptr(), rest.len(), &mut step) };
            if st != migseal_status::MIGSEAL_OK {
                assert_eq!(step.consumed, 0, "a refusal consumes nothing");
                let e = error(v);
                assert_eq!(e.0, st.code());
                return Err(e);
            }
            assert!(step.consumed > 0 && step.consumed <= rest.len(), "advance consumed {}", step.consumed);
            if step.payload_len > 0 {
                assert_eq!(step.payload_offset, payload.len() as u64, "payload runs are contiguous");
                assert_eq!(step.payload_start + step.payload_len, step.consumed, "a run ends the step");
                payload.extend_from_slice(&rest[step.payload_start..step.consumed]);
            }
            rest = &rest[step.consumed..];
        }
        pos += n;
    }
    let mut verdict = std::mem::MaybeUninit::<migseal_verdict>::uninit();
    // SAFETY: `v` from init; `verdict` writable and aligned.
    let st = unsafe { migseal_verifier_finish(v, verdict.as_mut_ptr()) };
    if st != migseal_status::MIGSEAL_OK {
        let e = error(v);
        assert_eq!(e.0, st.code());
        return Err(e);
    }
    // SAFETY: MIGSEAL_OK: finish wrote the whole verdict.
    let verdict = unsafe { verdict.assume_init() };
    assert_eq!(verdict.payload_len, payload.len() as u64, "released payload = verdict's length");
    Ok(Accepted {
        image_digest: verdict.image_digest,
        chunk_count: verdict.chunk_count,
        payload_len: verdict.payload_len,
        header_len: 0, // not part of the C verdict; compared below without it
        payload,
    })
}

/// `differential`.
///
/// # Panics
///
/// When two of the four verdicts differ.
pub fn check(data: &[u8]) {
    let Some((setup, sizes, image)) = stream::parse(data) else { return };
    let index = usize::from(data[0]) % setups::all().len();
    let threads = NonZeroUsize::new(usize::from(data[0] >> 6) + 1).expect("1..=4");
    // Streaming (sizes), whole image and parallel agree, or this panics.
    let rust = stream::verify_three_ways(image, &setup.policy, &setup.device, sizes, threads);
    let c = through_c_abi(&c_setups()[index], image, sizes);
    match (&rust, &c) {
        (Ok(r), Ok(c)) => {
            assert_eq!(
                (r.image_digest, r.chunk_count, r.payload_len, &r.payload),
                (c.image_digest, c.chunk_count, c.payload_len, &c.payload),
                "C ABI vs Rust: the same image verified with different facts"
            );
        }
        (Err(r), Err((code, errno, offset))) => {
            assert_eq!(
                (i32::from(r.code()), r.offset()),
                (*code, *offset),
                "C ABI vs Rust: {r} vs code {code} at {offset}"
            );
            let (_, table_errno) = table_row(r.code()).expect("a code from the tables");
            assert_eq!(*errno, table_errno, "C ABI errno of code {code}");
        }
        _ => panic!("C ABI vs Rust: {rust:?} vs {c:?}"),
    }
}
