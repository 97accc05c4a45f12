//! The panic probe: a bare-metal binary that drives the whole verify path
//! (framing, header decode, compatibility check, policy and trust, chunk
//! hashing, seal decode, signature check, the whole-image API, the sealer)
//! over inputs the optimiser cannot see.
//!
//! Its panic handler calls a symbol nothing defines. After LTO, a panic
//! that no input can reach is removed with its call; one that some input
//! can reach keeps the call, and the link fails naming the symbol. The
//! runner (`probe/check.sh`) links the `host-crypto` build, which must
//! succeed — zero reachable panics in migseal's code — and lists every
//! remaining panic site of the default build (ed25519-dalek and
//! curve25519-dalek) against `allowlist.txt`.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::hint::black_box;

#[cfg(not(feature = "host-crypto"))]
use migseal_format::envelope::MAX_HEADER_LEN;
use migseal_format::envelope::{Descriptor, Header};
use migseal_format::{Ident, Subject};
use migseal_verifier::{Crypto as _, Policy, Verifier, compat};
#[cfg(not(feature = "host-crypto"))]
use migseal_verifier::{Sealer, SealingKey};

/// Inputs the optimiser must treat as unknown.
static IMAGE: [u8; 8192] = [0; 8192];
static DESCRIPTOR: [u8; 512] = [0; 512];
static PUBLIC_KEY: [u8; 32] = [0; 32];
#[cfg(not(feature = "host-crypto"))]
static SEED: [u8; 32] = [0; 32];
static SESSION: [u8; 16] = [0; 16];

#[cfg(feature = "host-crypto")]
mod host {
    //! A stand-in provider: what a kernel plugs in (its own SHA-256 and
    //! signature check). The arithmetic is meaningless on purpose; what
    //! matters is that no dependency code is linked.
    use migseal_verifier::{Crypto, CryptoFailure, Sha256};

    #[derive(Clone, Copy, Default)]
    pub struct Host;

    #[derive(Clone, Copy, Default)]
    pub struct HostHash([u8; 32], u8);

    impl Sha256 for HostHash {
        fn update(&mut self, data: &[u8]) {
            for &b in data {
                self.1 = self.1.wrapping_add(1);
                for x in &mut self.0 {
                    *x = x.rotate_left(1) ^ b ^ self.1;
                }
            }
        }
        fn finish(self) -> [u8; 32] {
            self.0
        }
    }

    impl Crypto for Host {
        type Hasher = HostHash;
        type PreparedKey = [u8; 32];
        fn sha256(&self) -> HostHash {
            HostHash::default()
        }
        fn prepare_public_key(&self, pk: &[u8; 32]) -> Result<[u8; 32], CryptoFailure> {
            if core::hint::black_box(pk[0]) == 1 { Err(CryptoFailure::WeakKey) } else { Ok(*pk) }
        }
        fn verify_strict(&self, pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), CryptoFailure> {
            let mut acc = 0u8;
            for b in pk.iter().chain(msg).chain(sig) {
                acc ^= b;
            }
            if core::hint::black_box(acc) == 0 { Ok(()) } else { Err(CryptoFailure::BadSignature) }
        }
    }
}

#[cfg(feature = "host-crypto")]
fn provider() -> host::Host {
    host::Host
}

#[cfg(not(feature = "host-crypto"))]
fn provider() -> migseal_verifier::Dalek {
    migseal_verifier::Dalek
}

/// Drives every entry point; returns a number so nothing is dead code.
fn exercise() -> u64 {
    let crypto = provider();
    let image: &[u8] = black_box(&IMAGE[..]);
    let split = black_box(4096usize).min(image.len());
    let (first, second) = image.split_at(split);
    let mut score = 0u64;

    let Ok(vendor) = Ident::new(black_box("linux")) else { return 1 };
    let Ok(device_type) = Ident::new(black_box("mtty-2")) else { return 2 };
    let Ok(subject) = Subject::new(black_box("vm")) else { return 3 };
    let mut policy = Policy::new();
    if policy.trust_key(&crypto, *black_box(&PUBLIC_KEY), vendor, &[device_type]).is_err() {
        return 4;
    }
    if policy.revoke(*black_box(&PUBLIC_KEY)).is_err()
        || policy.require_min_security(vendor, Some(device_type), black_box(3)).is_err()
        || policy.require_session(black_box(&SESSION[..])).is_err()
    {
        return 6;
    }
    policy.require_subject(subject);
    let Ok(device) = Descriptor::decode(black_box(&DESCRIPTOR[..])) else { return 5 };

    // The streaming verifier, in two fragments, through advance().
    let mut v = Verifier::new(provider());
    for fragment in [first, second] {
        let mut rest = fragment;
        while !rest.is_empty() {
            match v.advance(&policy, &device, rest) {
                Ok(step) => {
                    if let Some(p) = step.payload {
                        score = score.wrapping_add(p.payload_offset);
                    }
                    rest = rest.get(step.consumed..).unwrap_or(&[]);
                }
                Err(e) => {
                    score = score.wrapping_add(u64::from(e.code())).wrapping_add(e.offset());
                    rest = &[];
                }
            }
        }
    }
    match v.finish() {
        Ok(verdict) => score = score.wrapping_add(verdict.payload_len()),
        Err(e) => score = score.wrapping_add(u64::from(e.code())),
    }

    // The whole-image API, the compatibility check, the policy alone.
    if let Ok(verified) = migseal_verifier::verify_image_with(image, &policy, &device, provider()) {
        for chunk in verified.chunks() {
            score = score.wrapping_add(u64::try_from(chunk.len()).unwrap_or(0));
        }
        let c = compat::check(&Descriptor::from_header(verified.header()), &device);
        score = score.wrapping_add(u64::try_from(c.total()).unwrap_or(0));
    }
    if let Ok(header) = Header::decode_record(first, 0) {
        if policy.check_header(&header).is_ok() {
            score = score.wrapping_add(7);
        }
        // The sealer, re-sealing what was read. Signing is ed25519-dalek's
        // whatever the provider, so the host-crypto build leaves it out.
        #[cfg(not(feature = "host-crypto"))]
        let sealing = SealingKey::from_seed(black_box(&SEED));
        #[cfg(not(feature = "host-crypto"))]
        let mut out = [0u8; MAX_HEADER_LEN];
        #[cfg(not(feature = "host-crypto"))]
        if let Ok((mut sealer, n)) = Sealer::new(sealing, provider(), &header, &mut out) {
            score = score.wrapping_add(u64::try_from(n).unwrap_or(0));
            if let Ok(head) = sealer.chunk(second) {
                score = score.wrapping_add(u64::try_from(head.as_bytes().len()).unwrap_or(0));
            }
            if let Ok(seal) = sealer.finish() {
                score = score.wrapping_add(u64::from(seal[black_box(0usize) % seal.len()]));
            }
        }
    }
    #[cfg(feature = "canary")]
    {
        // An index the optimiser cannot prove in bounds.
        score = score.wrapping_add(u64::from(IMAGE[black_box(usize::MAX) % 9000]));
    }
    if migseal_format::cbor::validate(image, &[]).is_ok() {
        score = score.wrapping_add(11);
    }
    score.wrapping_add(u64::from(crypto.digest(&[image])[0]))
}

#[allow(unsafe_code)]
mod entry {
    //! The only unsafe-attributed items: the bare-metal entry point and the
    //! undefined symbol. Neither executes anything unsafe; `unsafe` here
    //! marks link-level names, which Rust 2024 requires.

    unsafe extern "C" {
        /// Defined nowhere: referencing it from a reachable path breaks the
        /// link, which is the point. It takes the panic's location so that
        /// every call site keeps its `core::panic::Location` argument in
        /// the optimised code, where the runner reads it.
        safe fn migseal_probe_panic_is_reachable(file: *const u8, len: usize, line: u32, col: u32) -> !;
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        let (file, line, col) = info.location().map_or(("", 0, 0), |l| (l.file(), l.line(), l.column()));
        migseal_probe_panic_is_reachable(file.as_ptr(), file.len(), line, col)
    }

    /// The entry point.
    // SAFETY: `_start` is the one unmangled symbol of this binary; nothing
    // else defines it.
    #[unsafe(no_mangle)]
    pub extern "C" fn _start() -> ! {
        let score = super::exercise();
        core::hint::black_box(score);
        loop {
            core::hint::spin_loop();
        }
    }
}
