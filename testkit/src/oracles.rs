//! Properties shared by the test suite and the fuzz targets, written once.

use migseal_format::envelope::Descriptor;
use migseal_verifier::{Crypto, Dalek, Error, Inspector, Policy, Verifier};

/// Whether `e` comes from the trust gate (compatibility, policy, the
/// signature) rather than from the framing walk.
#[must_use]
pub fn is_gate_refusal(e: &Error) -> bool {
    matches!(e.code(), 400..=410 | 500..=507 | 600..=602)
}

/// `inspect`'s first refusal is the verifier's: for any bytes, fed in
/// fragments cycling through `sizes` (0 or none: all at once), an
/// [`Inspector`] under the policy's limits and the streaming [`Verifier`]
/// agree.
///
/// - The verifier accepts: inspection finds the structure complete.
/// - The verifier refuses for structure (framing, limits, the seal's
///   bytes): inspection refuses with the same error, same offset.
/// - The verifier refuses at the gate: inspection has read the header the
///   gate judged; for a signature refusal it finds the structure complete.
///
/// # Errors
///
/// A description of the disagreement.
pub fn inspect_agrees_with_verify<C: Crypto + Clone>(
    crypto: &C,
    image: &[u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    sizes: &[u8],
) -> Result<(), String> {
    let mut verifier = Verifier::new(crypto.clone());
    let mut inspector = Inspector::new(crypto.clone(), policy.limits());
    let mut verified = Ok(());
    let mut inspected = Ok(());
    let mut rest = image;
    let mut cycle = sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let n = match cycle.next() {
            Some(0) | None => rest.len(),
            Some(n) => usize::from(n).min(rest.len()),
        };
        let (piece, tail) = rest.split_at(n);
        if verified.is_ok() {
            verified = verifier.feed(policy, device, piece, |_| {});
        }
        if inspected.is_ok() {
            inspected = inspector.feed(piece);
        }
        rest = tail;
    }
    let verified = verified.and_then(|()| verifier.finish().map(|_| ()));
    let inspected = inspected.and_then(|()| inspector.end_of_stream());
    match verified {
        Ok(()) if inspected.is_ok() => Ok(()),
        Ok(()) => Err(format!("verify accepts, inspect refuses: {inspected:?}")),
        Err(e) if is_gate_refusal(&e) => {
            if inspector.header().is_none() {
                return Err(format!(
                    "verify refused at the gate ({e}), inspect never read a header: {inspected:?}"
                ));
            }
            if (600..=602).contains(&e.code()) && inspected.is_err() {
                return Err(format!(
                    "verify refused the signature ({e}), inspect the structure: {inspected:?}"
                ));
            }
            Ok(())
        }
        Err(e) if inspected == Err(e) => Ok(()),
        Err(e) => Err(format!("verify refuses with {e}\ninspect says {inspected:?}")),
    }
}

/// [`inspect_agrees_with_verify`] with the default crypto.
///
/// # Errors
///
/// As [`inspect_agrees_with_verify`].
pub fn inspect_agrees(
    image: &[u8],
    policy: &Policy,
    device: &Descriptor<'_>,
    sizes: &[u8],
) -> Result<(), String> {
    inspect_agrees_with_verify(&Dalek, image, policy, device, sizes)
}
