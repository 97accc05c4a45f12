//! Peak stack of a full streaming verification (feed in fragments, header
//! and policy checks, chunk hashing, seal decoding, strict Ed25519), in
//! bytes, measured by stack painting:
//!
//! 1. on a thread with a large stack, fill the unused stack below the
//!    current frame with a pattern;
//! 2. run the verification;
//! 3. scan up from the bottom for the first byte that is not the pattern.
//!
//! The distance from the measuring frame to that byte is the peak. The
//! verifier state itself is boxed, as a kernel driver keeps it in its own
//! device structure. `cargo xtask ci` runs this in release mode (the build a
//! kernel would ship) and fails above the budget passed as the first
//! argument.

use std::hint::black_box;

#[path = "../../../verifier/tests/common/mod.rs"]
#[allow(dead_code, clippy::all)]
mod common;

/// How much stack below the measuring frame is painted.
const PAINTED: usize = 256 * 1024;
/// Left unpainted right below the measuring frame, for `paint`'s own frame.
const MARGIN: usize = 1024;
const PATTERN: u8 = 0xA5;

#[inline(never)]
fn paint(bottom: usize, len: usize) {
    for addr in bottom..bottom + len {
        // SAFETY: [bottom, bottom + len) lies inside this thread's stack
        // mapping (the thread was created with 4 * PAINTED bytes of stack
        // and `bottom` is PAINTED below a live frame), below every live
        // frame except this function's, which sits within MARGIN of the
        // caller's frame and so above `bottom + len`. Nothing else reads
        // or writes that memory while we do.
        unsafe { std::ptr::write_volatile(addr as *mut u8, PATTERN) };
    }
}

#[inline(never)]
fn lowest_touched(bottom: usize, len: usize) -> usize {
    for addr in bottom..bottom + len {
        // SAFETY: as in `paint`; the region is mapped and only read here.
        if unsafe { std::ptr::read_volatile(addr as *const u8) } != PATTERN {
            return addr;
        }
    }
    bottom + len
}

/// Runs `f` on painted stack; returns its result and the bytes it used
/// below this frame.
#[inline(never)]
fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let marker = 0u8;
    let top = black_box(&marker) as *const u8 as usize;
    let bottom = top - PAINTED;
    paint(bottom, PAINTED - MARGIN);
    let result = black_box(f());
    let lowest = lowest_touched(bottom, PAINTED - MARGIN);
    (result, top - lowest)
}

/// A known 20 000-byte frame, to show the method measures what it claims.
#[inline(never)]
fn known_frame(n: usize) -> u8 {
    let buf = [7u8; 20_000];
    black_box(&buf)[n % 20_000]
}

struct Peaks {
    calibration: usize,
    whole: usize,
    feed: usize,
    finish: usize,
}

fn run(image: &[u8], public_key: [u8; 32]) -> Peaks {
    let (_, calibration) = measure(|| known_frame(black_box(3)));
    let (result, whole) = measure(|| common::verify(black_box(image), public_key));
    assert_eq!(result, Ok(4096), "the sample image must verify");
    // The same verification in phases, to say where the stack goes.
    let (feed, finish) = common::with_verifier(public_key, |v, policy, device| {
        let ((), feed) = measure(|| {
            for fragment in image.chunks(256) {
                v.feed(policy, device, fragment, |_| {}).expect("feed");
            }
        });
        let (len, finish) = measure(|| v.finish().map(|v| v.payload_len()).map_err(|e| e.code()));
        assert_eq!(len, Ok(4096));
        (feed, finish)
    });
    Peaks { calibration, whole, feed, finish }
}

fn main() {
    let budget: Option<usize> = std::env::args().nth(1).map(|a| a.parse().expect("budget in bytes"));
    let (image, public_key) = common::image(4);
    let p = std::thread::Builder::new()
        .stack_size(4 * PAINTED)
        .spawn(move || run(&image, public_key))
        .expect("spawn")
        .join()
        .expect("join");
    // The method must see a known frame as at least its size, or every
    // figure below would be meaningless.
    assert!((20_000..21_000).contains(&p.calibration), "calibration measured {}", p.calibration);
    assert!(p.whole < PAINTED - MARGIN, "the verification used all of the painted stack");
    let peak = p.whole;
    println!("calibration: a 20000-byte frame measures {} bytes", p.calibration);
    println!("  feed (header, trust, policy, chunk hashing, seal decoding): {} bytes", p.feed);
    println!("  finish (strict Ed25519 over the Sig_structure): {} bytes", p.finish);
    println!(
        "peak stack of a full verification: {peak} bytes ({:.1} KiB); verifier state (boxed, not on the stack): {} bytes",
        peak as f64 / 1024.0,
        std::mem::size_of::<migseal_verifier::Verifier>()
    );
    if let Some(budget) = budget {
        if peak > budget {
            eprintln!("peak stack {peak} bytes is above the budget of {budget} bytes");
            std::process::exit(1);
        }
    }
}
