//! A header record kept by value: its bytes, and once decoded, where each
//! field lies in them.
//!
//! A decoded [`Header`] borrows the bytes it was decoded from, so it cannot
//! be kept beside them in one struct. The streaming verifier needs the
//! header twice (for its checks when the record arrives, and for the
//! verdict at the end); with the field positions kept, the second time is a
//! few slice operations instead of a second decode.

use super::MAX_HEADER_LEN;
use super::config::ShellConfig;
use super::header::{DeviceIdentity, Header, KeyId, SessionNonce};
use super::lists::IdentList;
use super::version::StateVersion;
use crate::bytes::copy_prefix;
use crate::error::Result;
use crate::ident::{Ident, Subject};

/// Where one borrowed field lies in the record. A record is at most
/// [`MAX_HEADER_LEN`] bytes, so `u16` positions suffice and keep the
/// verifier's state small.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    /// The position of `inner` within `outer`, when it lies inside it.
    fn of(inner: &[u8], outer: &[u8]) -> Option<Self> {
        let start = inner.as_ptr().addr().checked_sub(outer.as_ptr().addr())?;
        let end = start.checked_add(inner.len())?;
        if end > outer.len() {
            return None;
        }
        Some(Self { start: u16::try_from(start).ok()?, end: u16::try_from(end).ok()? })
    }

    fn get(self, bytes: &[u8]) -> Option<&[u8]> {
        bytes.get(usize::from(self.start)..usize::from(self.end))
    }
}

/// The positions of a decoded header's borrowed fields, and its other
/// fields by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    vendor: Span,
    device_api: Span,
    device_type: Span,
    state_version: StateVersion,
    features: Span,
    feature_count: usize,
    config: Option<(Span, Span)>,
    codec: Span,
    security_version: u64,
    session: Option<Span>,
    subject: Option<Span>,
    key_id: KeyId,
}

impl Layout {
    fn of(header: &Header<'_>, record: &[u8]) -> Option<Self> {
        let ident = |i: Ident<'_>| Span::of(i.as_bytes(), record);
        let (features, feature_count) = header.features.encoded_parts()?;
        let config = match header.config {
            Some(c) => Some((ident(c.kind)?, Span::of(c.data, record)?)),
            None => None,
        };
        let session = match header.session {
            Some(s) => Some(Span::of(s.as_bytes(), record)?),
            None => None,
        };
        let subject = match header.subject {
            Some(s) => Some(Span::of(s.as_str().as_bytes(), record)?),
            None => None,
        };
        Some(Self {
            vendor: ident(header.identity.vendor)?,
            device_api: ident(header.identity.device_api)?,
            device_type: ident(header.identity.device_type)?,
            state_version: header.state_version,
            features: Span::of(features, record)?,
            feature_count,
            config,
            codec: ident(header.codec)?,
            security_version: header.security_version,
            session,
            subject,
            key_id: header.key_id,
        })
    }

    /// The header again, over the record it was taken from. Every field was
    /// validated when that record was decoded, so nothing is checked again
    /// but the spans' bounds.
    fn header<'a>(&self, record: &'a [u8]) -> Option<Header<'a>> {
        let ident = |s: Span| s.get(record).map(Ident::validated_by_decoder);
        let config = match self.config {
            Some((kind, data)) => Some(ShellConfig { kind: ident(kind)?, data: data.get(record)? }),
            None => None,
        };
        let session = match self.session {
            Some(s) => Some(SessionNonce::validated_by_decoder(s.get(record)?)),
            None => None,
        };
        let subject = match self.subject {
            Some(s) => Some(Subject::validated_by_decoder(core::str::from_utf8(s.get(record)?).ok()?)),
            None => None,
        };
        Some(Header {
            identity: DeviceIdentity {
                vendor: ident(self.vendor)?,
                device_api: ident(self.device_api)?,
                device_type: ident(self.device_type)?,
            },
            state_version: self.state_version,
            features: IdentList::validated_by_decoder(self.features.get(record)?, self.feature_count),
            config,
            codec: ident(self.codec)?,
            security_version: self.security_version,
            session,
            subject,
            key_id: self.key_id,
        })
    }
}

/// A header record gathered from a stream and decoded once.
///
/// ```
/// # use migseal_format::envelope::{Header, HeaderRecord};
/// # fn demo(stream: &[u8]) -> migseal_format::Result<()> {
/// let mut held = HeaderRecord::new();
/// held.gather(stream, 4096);
/// let len = held.decode_prefix(0)?;
/// let header = held.header().expect("decoded");
/// assert_eq!(header, Header::decode_record(&stream[..len], 0)?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HeaderRecord {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
    layout: Option<Layout>,
}

impl core::fmt::Debug for HeaderRecord {
    // Not the 4 KiB buffer: what is held, and what it decoded to.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeaderRecord").field("len", &self.len).field("header", &self.header()).finish()
    }
}

/// Two records are equal when they hold the same bytes, decoded the same
/// way (the buffer past the bytes held does not count).
impl PartialEq for HeaderRecord {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes() && self.layout == other.layout
    }
}

impl Eq for HeaderRecord {}

impl Default for HeaderRecord {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderRecord {
    /// An empty record.
    #[must_use]
    pub const fn new() -> Self {
        Self { bytes: [0; MAX_HEADER_LEN], len: 0, layout: None }
    }

    /// Appends the start of `input` until `limit` bytes (at most
    /// [`MAX_HEADER_LEN`]) are held; returns how many it took. Nothing is
    /// taken once the record is decoded.
    // Inlined across crates: the walker calls it once per fragment, and a
    // writer feeding one byte at a time makes that once per byte.
    #[inline]
    pub fn gather(&mut self, input: &[u8], limit: usize) -> usize {
        if self.layout.is_some() {
            return 0;
        }
        let old = self.len;
        let end = limit.min(MAX_HEADER_LEN).max(old);
        let n = self.bytes.get_mut(old..end).map_or(0, |room| copy_prefix(room, input));
        self.len = old.saturating_add(n);
        n
    }

    /// The bytes held: everything gathered, or once decoded, exactly the
    /// record.
    #[must_use]
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Decodes the header record at the start of the bytes gathered (as
    /// [`Header::decode_prefix`]) and keeps it: the bytes held are cut to
    /// the record. Returns the record's length. `base` is the stream
    /// offset of the first byte, for errors.
    ///
    /// # Errors
    ///
    /// As [`Header::decode_prefix`]; the record stays as it was.
    pub fn decode_prefix(&mut self, base: u64) -> Result<usize> {
        let gathered = self.bytes();
        let (header, len) = Header::decode_prefix(gathered, base)?;
        let layout = Layout::of(&header, gathered.get(..len).unwrap_or(&[]));
        self.keep(layout, len);
        Ok(len)
    }

    /// Decodes exactly the first `len` bytes gathered as a header record
    /// (as [`Header::decode_record`]) and keeps it: the bytes held are cut
    /// to them.
    ///
    /// # Errors
    ///
    /// As [`Header::decode_record`]; the record stays as it was.
    pub fn decode_exact(&mut self, len: usize, base: u64) -> Result<()> {
        let record = self.bytes().get(..len).unwrap_or(&[]);
        let header = Header::decode_record(record, base)?;
        let layout = Layout::of(&header, record);
        self.keep(layout, len);
        Ok(())
    }

    fn keep(&mut self, layout: Option<Layout>, len: usize) {
        // A header decoded from these bytes lies inside them, so the layout
        // always exists; were it ever missing, the record would simply
        // count as not decoded.
        if let Some(layout) = layout {
            self.layout = Some(layout);
            self.len = len;
        }
    }

    /// The decoded header's key id, without rebuilding the header.
    #[must_use]
    pub fn key_id(&self) -> Option<KeyId> {
        self.layout.map(|l| l.key_id)
    }

    /// The decoded header, once [`HeaderRecord::decode_prefix`] or
    /// [`HeaderRecord::decode_exact`] has succeeded.
    #[must_use]
    pub fn header(&self) -> Option<Header<'_>> {
        self.layout?.header(self.bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    use crate::cbor::{Encoder, Sink as _, SliceSink};

    /// A header with every kind of borrowed field (features, a config, a
    /// session and a subject), encoded into `out`; returns its length.
    fn full_header(out: &mut [u8]) -> usize {
        let id = |s| Ident::new(s).unwrap();
        let features = [id("a"), id("dirty-log"), id("long-feature-name-of-30-bytes-")];
        let header = Header {
            identity: DeviceIdentity {
                vendor: id("ibm"),
                device_api: id("vfio-ap"),
                device_type: id("passthrough"),
            },
            state_version: StateVersion::new(2, 1),
            features: IdentList::from_slice(&features, 32).unwrap(),
            config: Some(ShellConfig::new(id("vfio-ap-matrix"), &[1, 2, 3]).unwrap()),
            codec: id("vfio-ap"),
            security_version: 7,
            session: Some(SessionNonce::new(&[9; 16]).unwrap()),
            subject: Some(Subject::new("vm-42").unwrap()),
            key_id: [5; 32],
        };
        let mut e = Encoder::new(SliceSink::new(out));
        header.encode_record(&mut e).unwrap();
        e.finish().unwrap().written().len()
    }

    #[test]
    fn the_kept_header_is_the_decoded_one() {
        let mut buf = [0u8; 512];
        let n = full_header(&mut buf);
        let full = &buf[..n];
        let mut stream = [0u8; 515];
        stream[..n].copy_from_slice(full);
        stream[n..n + 3].copy_from_slice(&[0x82, 0x01, 0x00]);
        let stream = &stream[..n + 3];
        let mut held = HeaderRecord::new();
        assert_eq!(held.header(), None);
        assert_eq!(held.gather(&stream[..10], 4096), 10);
        assert!(held.decode_prefix(0).unwrap_err().is_truncated());
        assert_eq!((held.header(), held.key_id()), (None, None));
        assert_eq!(held.gather(&stream[10..], 4096), stream.len() - 10);
        assert_eq!(held.decode_prefix(0).unwrap(), full.len());
        assert_eq!(held.bytes(), full);
        let expected = Header::decode_record(full, 0).unwrap();
        assert!(expected.config.is_some() && expected.session.is_some() && expected.subject.is_some());
        assert!(!expected.features.is_empty());
        assert_eq!(held.key_id(), Some(expected.key_id));
        assert_eq!(held.header(), Some(expected));
        let shown = std::format!("{held:?}");
        assert!(shown.starts_with("HeaderRecord { len: ") && shown.contains("Ident(\"ibm\")"), "{shown}");
        assert!(shown.len() < 2000, "the buffer is not printed: {shown}");
        // Decoded, it takes nothing more.
        assert_eq!(held.gather(&[0; 4], 4096), 0);
    }

    #[test]
    fn decode_exact_refuses_trailing_bytes_and_keeps_nothing() {
        let mut buf = [0u8; 512];
        let n = full_header(&mut buf);
        let full = &buf[..n];
        let mut held = HeaderRecord::new();
        held.gather(full, 4096);
        held.gather(&[0], 4096);
        assert!(held.decode_exact(full.len() + 1, 0).is_err());
        assert_eq!(held.header(), None);
        assert_eq!(held.bytes().len(), full.len() + 1);
        held.decode_exact(full.len(), 0).unwrap();
        assert_eq!(held.header(), Some(Header::decode_record(full, 0).unwrap()));
    }

    #[test]
    fn gathering_stops_at_the_limit() {
        let mut held = HeaderRecord::new();
        assert_eq!(held.gather(&[0; 100], 60), 60);
        assert_eq!(held.gather(&[0; 100], 60), 0);
        assert_eq!(held.gather(&[0; 5000], 9999), MAX_HEADER_LEN - 60);
        assert_eq!(held.bytes().len(), MAX_HEADER_LEN);
    }
}
