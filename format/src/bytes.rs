//! Copying without a panic path.
//!
//! `<[u8]>::copy_from_slice` panics when the lengths differ, and the
//! optimiser cannot always prove that two lengths computed with saturating
//! arithmetic agree, so a panic call survives in kernel builds (the probe
//! finds it). Every copy in the no_std crates goes through this instead.

/// Copies `min(dst.len(), src.len())` bytes from the start of `src` to the
/// start of `dst` and returns that count. Callers size both sides equally;
/// the minimum only makes the impossible case harmless instead of a panic.
#[inline]
pub fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    // One byte, what a writer feeding a byte per call makes every copy:
    // copied directly, without the memcpy call the loop below compiles to.
    if let (Some(d), [s]) = (dst.first_mut(), src) {
        *d = *s;
        return 1;
    }
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        for (d, s) in d.iter_mut().zip(s) {
            *d = *s;
        }
    }
    n
}

/// Writes `parts` one after another into `out`; the callers size `out` to
/// the exact sum, so nothing is ever cut (and nothing can panic if not).
pub(crate) fn concat(out: &mut [u8], parts: &[&[u8]]) {
    let mut at = 0usize;
    for part in parts {
        let end = at.saturating_add(part.len());
        if let Some(dst) = out.get_mut(at..end) {
            copy_prefix(dst, part);
        }
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::copy_prefix;

    #[test]
    fn copies_the_common_prefix() {
        let mut dst = [0u8; 4];
        assert_eq!(copy_prefix(&mut dst, &[1, 2]), 2);
        assert_eq!(dst, [1, 2, 0, 0]);
        assert_eq!(copy_prefix(&mut dst, &[9; 8]), 4);
        assert_eq!(dst, [9; 4]);
    }
}
