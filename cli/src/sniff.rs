//! What a file that is not a migseal image looks like, so the refusal of
//! random bytes says "this is not a migseal image" and names the likely
//! mistake (an empty file, text, a compressed file, raw vendor state)
//! instead of CBOR schema jargon.

/// The first bytes worth keeping to recognise a file.
pub const SNIFF_LEN: usize = 16;

/// Whether `head` (the first bytes of the input) cannot start a migseal
/// image: every image starts with its header record, a CBOR array
/// (major type 4, initial byte 0x80-0x9f).
#[must_use]
pub fn is_not_an_image(head: &[u8]) -> bool {
    head.first().is_none_or(|b| !(0x80..=0x9f).contains(b))
}

/// A few words on what `head` looks like, when it is recognisable.
#[must_use]
pub fn looks_like(head: &[u8]) -> Option<&'static str> {
    const MTTY_MAGIC_LE: [u8; 8] = 0x7e9d_0989_8c3e_2c4e_u64.to_le_bytes();
    let known: [(&[u8], &str); 9] = [
        (
            &MTTY_MAGIC_LE,
            "raw mtty device state (magic 0x7e9d09898c3e2c4e): seal it first with `migseal seal`",
        ),
        (&[0x1f, 0x8b], "gzip-compressed data: decompress it first (gunzip)"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed data: decompress it first (zstd -d)"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz-compressed data: decompress it first (xz -d)"),
        (b"BZh", "bzip2-compressed data: decompress it first (bunzip2)"),
        (b"\x7fELF", "an ELF executable"),
        (b"GIF8", "a GIF image"),
        (b"\x89PNG", "a PNG image"),
        (b"PK\x03\x04", "a zip archive"),
    ];
    if head.is_empty() {
        return Some("an empty file");
    }
    if let Some((_, what)) = known.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(what);
    }
    let text = head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') if text => Some("JSON text (a policy or a descriptor?)"),
        _ if text => Some("text"),
        _ => None,
    }
}

/// The line that goes before the verifier's message when the input is
/// not an image at all.
#[must_use]
pub fn not_an_image_line(head: &[u8]) -> String {
    match looks_like(head) {
        Some(what) => {
            format!("this is not a migseal image (no header record at byte 0); it looks like {what}")
        }
        None => "this is not a migseal image (no header record at byte 0)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_mistakes() {
        assert_eq!(looks_like(b""), Some("an empty file"));
        assert!(looks_like(&[0x1f, 0x8b, 8, 0]).is_some_and(|w| w.starts_with("gzip")));
        assert!(looks_like(&0x7e9d_0989_8c3e_2c4e_u64.to_le_bytes()).is_some_and(|w| w.contains("mtty")));
        assert_eq!(looks_like(b"hello\n"), Some("text"));
        assert!(looks_like(b" {\"trusted\"").is_some_and(|w| w.starts_with("JSON")));
        assert_eq!(looks_like(&[0xc3, 0x00, 0x01]), None);
        assert!(is_not_an_image(b""));
        assert!(is_not_an_image(b"x"));
        assert!(!is_not_an_image(&[0x84, 0x01]));
    }
}
