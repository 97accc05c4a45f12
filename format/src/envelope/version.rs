//! State versions and version ranges.

use crate::cbor::{Encoder, Reader, Sink};
use crate::error::{Detail, Error, ErrorCode, Result};

/// A vendor state version `major.minor`, encoded as `[major, minor]`.
///
/// Ordering is numeric, major first. What a minor bump means (compatible
/// additions, say) is the vendor's business; migseal only compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl StateVersion {
    /// `major.minor`.
    #[must_use]
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.read_array_exact(2, ErrorCode::RecordShape)?;
        let major = u32::try_from(r.read_uint(u64::from(u32::MAX))?).unwrap_or(u32::MAX);
        let minor = u32::try_from(r.read_uint(u64::from(u32::MAX))?).unwrap_or(u32::MAX);
        Ok(Self { major, minor })
    }

    pub(crate) fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        e.array(2)?.uint(u64::from(self.major))?.uint(u64::from(self.minor))?;
        Ok(())
    }
}

impl core::fmt::Display for StateVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// An inclusive range of state versions, encoded `[[min], [max]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// Lowest version in the range.
    pub min: StateVersion,
    /// Highest version in the range.
    pub max: StateVersion,
}

impl VersionRange {
    /// The range `min..=max`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidVersionRange`] when `min > max`.
    pub fn new(min: StateVersion, max: StateVersion) -> Result<Self> {
        if min > max {
            return Err(Error::new(ErrorCode::InvalidVersionRange, 0));
        }
        Ok(Self { min, max })
    }

    /// The range holding exactly `v`.
    #[must_use]
    pub const fn exactly(v: StateVersion) -> Self {
        Self { min: v, max: v }
    }

    /// True when `v` lies in the range.
    #[must_use]
    pub fn contains(&self, v: StateVersion) -> bool {
        self.min <= v && v <= self.max
    }

    /// Decodes a range that must follow `prev` (spec §6.1). Each check is
    /// made as soon as the values it compares are read (spec §8.6): the
    /// order against `prev` (207) once `min` is read, before `min ≤ max`
    /// (208) once `max` is.
    pub(crate) fn decode_after(r: &mut Reader<'_>, prev: Option<Self>) -> Result<Self> {
        let at = r.offset();
        r.read_array_exact(2, ErrorCode::RecordShape)?;
        let min = StateVersion::decode(r)?;
        check_follows(prev, min, at)?;
        let max = StateVersion::decode(r)?;
        Self::new(min, max).map_err(|e| Error::new(e.code(), at))
    }

    pub(crate) fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        e.array(2)?;
        self.min.encode(e)?;
        self.max.encode(e)
    }
}

impl core::fmt::Display for VersionRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..={}", self.min, self.max)
        }
    }
}

/// Refuses a range that does not start above the previous one's end: the
/// set has one encoding only when ranges are sorted and disjoint.
pub(crate) fn check_follows(prev: Option<VersionRange>, next_min: StateVersion, at: u64) -> Result<()> {
    match prev {
        Some(p) if next_min <= p.max => {
            Err(Error::new(ErrorCode::ListNotSorted, at).with_detail(Detail::Value {
                expected: u64::from(p.max.major),
                found: u64::from(next_min.major),
            }))
        }
        _ => Ok(()),
    }
}
