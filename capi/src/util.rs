//! Checks at the C boundary: pointers, alignment, C strings, and text
//! written into caller buffers without allocating.

use core::ffi::c_char;
use core::fmt;

use crate::status::migseal_status as S;

/// NULL and alignment check of a pointer to `T`.
pub fn check_ptr<T>(p: *const T) -> Result<(), S> {
    if p.is_null() {
        return Err(S::MIGSEAL_ABI_NULL_POINTER);
    }
    if !p.is_aligned() {
        return Err(S::MIGSEAL_ABI_MISALIGNED);
    }
    Ok(())
}

/// A byte slice from a C pointer and length. NULL is allowed only with
/// length 0.
///
/// # Safety
///
/// When `len > 0`, `p` must point to `len` readable bytes that stay valid
/// and unchanged for `'a`.
pub unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], S> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(S::MIGSEAL_ABI_NULL_POINTER);
    }
    if isize::try_from(len).is_err() {
        return Err(S::MIGSEAL_ABI_INVALID_ARGUMENT);
    }
    // SAFETY: the caller guarantees `len` readable bytes at `p` for 'a; `p`
    // is not NULL, `u8` needs no alignment, and `len` fits `isize` as
    // `from_raw_parts` requires.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// A NUL-terminated C string of at most `max` bytes (before the NUL),
/// valid UTF-8. Reads stop at the first NUL and never go more than `max`
/// bytes past `p`.
///
/// # Safety
///
/// `p` must be NULL or point to a NUL-terminated string, valid for `'a`.
pub unsafe fn c_str<'a>(p: *const c_char, max: usize, too_long: S) -> Result<&'a str, S> {
    if p.is_null() {
        return Err(S::MIGSEAL_ABI_NULL_POINTER);
    }
    let mut len = 0usize;
    loop {
        // SAFETY: the string is NUL-terminated and every byte before index
        // `len` was not NUL, so index `len` is still inside it.
        let byte = unsafe { p.add(len).read() };
        if byte == 0 {
            break;
        }
        if len >= max {
            return Err(too_long);
        }
        len = len.saturating_add(1);
    }
    // SAFETY: the `len` bytes before the NUL were just read one by one, so
    // they are readable; `c_char` and `u8` have the same layout.
    let raw = unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len) };
    core::str::from_utf8(raw).map_err(|_| too_long)
}

/// A `fmt::Write` into a fixed byte buffer that always leaves room for the
/// NUL and marks a cut with "...".
pub struct CBuf<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// Bytes the whole text needs (without the NUL).
    pub needed: usize,
}

impl<'b> CBuf<'b> {
    /// A writer over `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0, needed: 0 }
    }

    /// Ends the text with a NUL (and "..." when it was cut); returns true
    /// when it fit.
    pub fn finish(self) -> bool {
        let fits = self.needed < self.buf.len();
        let end = if fits { self.len } else { self.buf.len().saturating_sub(1) };
        if !fits && end >= 3 {
            for b in self.buf.iter_mut().take(end).skip(end.saturating_sub(3)) {
                *b = b'.';
            }
        }
        if let Some(b) = self.buf.get_mut(end) {
            *b = 0;
        }
        fits
    }
}

impl fmt::Write for CBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.needed = self.needed.saturating_add(s.len());
        let room = self.buf.len().saturating_sub(1).saturating_sub(self.len);
        let take = room.min(s.len());
        let end = self.len.saturating_add(take);
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            // A zip, not copy_from_slice: no length check that could panic.
            for (d, b) in dst.iter_mut().zip(s.bytes()) {
                *d = b;
            }
        }
        self.len = end;
        Ok(())
    }
}

/// Writes `s` into a fixed `c_char` array, NUL-terminated (cut if long).
pub fn put_str(dst: &mut [c_char], s: &str) {
    let room = dst.len().saturating_sub(1);
    for (d, b) in dst.iter_mut().zip(s.bytes().take(room).chain(core::iter::repeat(0))) {
        *d = c_char::from_ne_bytes([b]);
    }
}

/// The bytes of a `c_char` array.
pub fn as_bytes_mut(dst: &mut [c_char]) -> &mut [u8] {
    let len = dst.len();
    // SAFETY: `c_char` is `i8` or `u8`: one byte, alignment 1, every bit
    // pattern valid either way; the slice covers exactly `dst`, which is
    // borrowed mutably for the result's lifetime.
    unsafe { core::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<u8>(), len) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use core::fmt::Write;

    use super::*;

    #[test]
    fn cbuf_cuts_visibly_and_terminates() {
        let mut b = [0xffu8; 8];
        let mut w = CBuf::new(&mut b);
        write!(w, "abcdefghijk").unwrap();
        assert_eq!(w.needed, 11);
        assert!(!w.finish());
        assert_eq!(&b, b"abcd...\0");
        let mut b = [0xffu8; 8];
        let mut w = CBuf::new(&mut b);
        write!(w, "abc").unwrap();
        assert!(w.finish());
        assert_eq!(&b[..4], b"abc\0");
    }

    #[test]
    fn c_strings_are_bounded() {
        let s = c"mtty-2";
        // SAFETY: a NUL-terminated literal.
        assert_eq!(unsafe { c_str(s.as_ptr(), 64, S::MIGSEAL_INVALID_IDENTIFIER) }, Ok("mtty-2"));
        // SAFETY: as above.
        let short = unsafe { c_str(s.as_ptr(), 5, S::MIGSEAL_INVALID_IDENTIFIER) };
        assert_eq!(short, Err(S::MIGSEAL_INVALID_IDENTIFIER));
        // SAFETY: NULL is checked.
        let null = unsafe { c_str(core::ptr::null(), 5, S::MIGSEAL_INVALID_IDENTIFIER) };
        assert_eq!(null, Err(S::MIGSEAL_ABI_NULL_POINTER));
    }
}
