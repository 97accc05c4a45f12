//! Quick or full: how large the inputs are and how long criterion
//! samples. The full mode measures what the issue asks (1 GiB images, a
//! 4 GiB pipe); the quick mode runs the same code on small inputs so CI
//! can run it on every change without spending minutes.

/// Set to `1` to run the benchmarks in quick mode (`cargo xtask bench
/// --quick` sets it).
pub const QUICK_ENV: &str = "MIGSEAL_BENCH_QUICK";

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The two modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Small inputs, short sampling: proves the benchmarks still run.
    Quick,
    /// The sizes the goals are stated for.
    Full,
}

impl Mode {
    /// [`Mode::Quick`] when [`QUICK_ENV`] is `1`, else [`Mode::Full`].
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_flag(std::env::var(QUICK_ENV).ok().as_deref())
    }

    /// The mode for a value of [`QUICK_ENV`].
    #[must_use]
    pub fn from_flag(value: Option<&str>) -> Self {
        if value.is_some_and(|v| v.trim() == "1") { Self::Quick } else { Self::Full }
    }

    /// A word for reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }

    /// Payload bytes of the in-memory images (stream, parallel, seal).
    #[must_use]
    pub const fn image_bytes(self) -> u64 {
        match self {
            Self::Quick => 64 * MIB,
            Self::Full => GIB,
        }
    }

    /// Payload bytes streamed through `migseal verify` from a pipe for the
    /// peak-RSS figure.
    #[must_use]
    pub const fn pipe_bytes(self) -> u64 {
        match self {
            Self::Quick => 256 * MIB,
            Self::Full => 4 * GIB,
        }
    }

    /// Payload bytes of the image file `migseal verify` and `openssl dgst`
    /// read.
    #[must_use]
    pub const fn cli_bytes(self) -> u64 {
        match self {
            Self::Quick => 64 * MIB,
            Self::Full => GIB,
        }
    }

    /// Payload bytes of the image verified in Node (held in memory there).
    #[must_use]
    pub const fn wasm_bytes(self) -> u64 {
        match self {
            Self::Quick => 16 * MIB,
            Self::Full => 256 * MIB,
        }
    }

    /// How many times each timed command runs (the best run counts).
    #[must_use]
    pub const fn runs(self) -> usize {
        match self {
            Self::Quick => 1,
            Self::Full => 3,
        }
    }
}

/// A byte count for people: `64 MiB`, `1 GiB`, `4 KiB`, `100 B`.
#[must_use]
pub fn size_label(bytes: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (1 << 10, "KiB")] {
        if bytes >= unit
            && bytes.is_multiple_of(unit)
            && let Some(n) = bytes.checked_div(unit)
        {
            return format!("{n} {name}");
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;

    #[test]
    fn quick_only_when_asked() {
        assert_eq!(Mode::from_flag(Some("1")), Mode::Quick);
        assert_eq!(Mode::from_flag(Some(" 1\n")), Mode::Quick);
        assert_eq!(Mode::from_flag(Some("0")), Mode::Full);
        assert_eq!(Mode::from_flag(Some("")), Mode::Full);
        assert_eq!(Mode::from_flag(None), Mode::Full);
    }

    #[test]
    fn full_mode_has_the_sizes_of_the_goals() {
        assert_eq!(size_label(Mode::Full.image_bytes()), "1 GiB");
        assert_eq!(size_label(Mode::Full.pipe_bytes()), "4 GiB");
        assert!(Mode::Quick.image_bytes() < Mode::Full.image_bytes());
    }

    #[test]
    fn labels() {
        assert_eq!(size_label(64 << 10), "64 KiB");
        assert_eq!(size_label(16 << 20), "16 MiB");
        assert_eq!(size_label(1000), "1000 B");
        assert_eq!(size_label(1536), "1536 B");
    }
}
